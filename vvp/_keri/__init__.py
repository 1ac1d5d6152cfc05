"""The only package in vvp that imports keri (keripy 1.3.6).

Bytes go in, frozen dataclasses come out; no keri type, exception or global crosses this
boundary. keri swallows errors, escrows instead of failing, prints to stdout and keeps global
state (keri-notes.md §4): everything here turns those behaviours into explicit outcomes with
stable codes, and every verification gets its own fresh store on tmpfs (removed afterwards, or
emptied for the next verification of a long-lived verifier). What a long-lived verifier keeps
between verifications is keri's verdict on key and TEL events, never a store (:mod:`.verified`).
"""
