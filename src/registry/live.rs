//! Reads registry keys of this device into a [`RegistrySnapshot`] (Windows only).
//!
//! A thin reader: it copies values by type and leaves every decision to portable code.
