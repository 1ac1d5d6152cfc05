"""STIR (RFC 8224/8225) building blocks shared by the VVP and SHAKEN checks.

:mod:`vvp.stir.identity` parses Identity header field values and routes them by ``ppt``;
:mod:`vvp.stir.sip` parses a raw SIP request into the context a verification needs. Both are
pure functions over text, with stable error codes and no I/O.
"""
