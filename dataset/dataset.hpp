#pragma once
//! curator::dataset — identity groups, face-disjoint train/val/test splits, snapshots and leakage audits.
//! Depends on core and ingest. So far: identity grouping (threshold graph + declared links, LSH +
//! union-find past a few thousand tracks), the split vocabulary and the deterministic,
//! order-independent bucket rule that assigns a group to a split from its stable key.
#include "dataset/identity_grouping.hpp"
#include "dataset/split.hpp"
