#pragma once
//! curator::labeling — people confirm labels: reviewer accounts, the review queue and consensus.
//! Depends on core and ingest. So far: password hashing for accounts (libsodium argon2id).
#include "labeling/password.hpp"
