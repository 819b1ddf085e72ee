#pragma once
//! curator::dataset — identity groups, face-disjoint train/val/test splits, snapshots and leakage audits.
//! Depends on core and ingest. So far: the split vocabulary and the deterministic, order-independent
//! bucket rule that assigns a group to a split from its stable key.
#include "dataset/split.hpp"
