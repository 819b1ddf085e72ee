#pragma once
//! curator::dataset — identity groups, face-disjoint train/val/test splits, snapshots and leakage audits.
//! Depends on core and ingest. Identity grouping (identity_grouping.hpp) feeds the split planner
//! (split_planner.hpp: pure rules), which dataset_store.hpp runs against the database; snapshots freeze
//! confirmed membership (snapshot.hpp), stats.hpp counts per-source evaluation sets and audit.hpp
//! proves a snapshot has no leak.
#include "dataset/audit.hpp"
#include "dataset/dataset_store.hpp"
#include "dataset/evidence.hpp"
#include "dataset/identity_grouping.hpp"
#include "dataset/snapshot.hpp"
#include "dataset/split.hpp"
#include "dataset/split_planner.hpp"
#include "dataset/stats.hpp"
