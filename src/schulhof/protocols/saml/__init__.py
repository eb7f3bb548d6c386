"""The SAML 2.0 identity provider (docs/saml.md, docs/design/signin.md "SAML").

Rule: SAML's vocabulary (entity ids, bindings, NameID formats, attribute OIDs, XML) stays in
this package, and so does pysaml2 — a thin layer over it, signing with RSA-SHA256/SHA-256
through Debian's xmlsec1. Nothing here decides who may sign in or what a service learns of
a person: `services.release` does, from the registration; this package only translates.
No store access.
"""

import warnings

# pysaml2 7.5 still reaches for CFB where cryptography 43+ moved it; the warning is printed on
# every command start and says nothing a user can act on (we never use CFB).
warnings.filterwarnings("ignore", message="CFB has been moved", module="saml2")
