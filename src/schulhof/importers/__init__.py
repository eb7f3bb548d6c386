"""Feeds from school-office software and OneRoster: read → map → plan → guard → apply → report.

Rule: readers and planners do no writes; apply goes through the services layer only.
"""
