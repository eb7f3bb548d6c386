"""The identity model and its rules.

Rule: pure Python. No I/O, no database, no HTTP, no files, no clock reads hidden in
functions (the caller passes `now`). Imports nothing else of the project.
"""
