//! The host side of FIDO2 hardware passes. No database or UI code lives here.
