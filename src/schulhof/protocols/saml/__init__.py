"""The SAML 2.0 identity provider (docs/saml.md, docs/design/signin.md "SAML").

Rule: SAML's vocabulary (entity ids, bindings, NameID formats, attribute OIDs, XML) stays in
this package, and so does pysaml2 — a thin layer over it, signing with RSA-SHA256/SHA-256
through Debian's xmlsec1. Nothing here decides who may sign in or what a service learns of
a person: `services.release` does, from the registration; this package only translates.
No store access.
"""
