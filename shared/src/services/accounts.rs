//! Accounts: registration, login names, passwords, profiles and settings.
