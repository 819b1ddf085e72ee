#pragma once
//! curator::ingest — turns submitted videos into validated, deduplicated, face-annotated records.
//! Depends on core only. So far: probing a video's container and stream facts through OpenCV's FFmpeg
//! backend (the first step of validation). Functions here are thread-safe and keep no state.
#include "ingest/video_probe.hpp"
