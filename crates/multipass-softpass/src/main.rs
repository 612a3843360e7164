//! `multipass-softpass`: a FIDO2 security key in software, over CTAPHID-in-UDP.

fn main() {}
