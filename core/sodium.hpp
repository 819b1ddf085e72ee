#pragma once
//! libsodium's one-time initialisation. Thread-safe and cheap after the first call.
namespace curator::core {

/// Initialises libsodium; throws curator::Error (internal) when it cannot.
void ensure_sodium();

} // namespace curator::core
