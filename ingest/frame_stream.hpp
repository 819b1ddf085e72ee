#pragma once
//! A clip's sampled frames decoded on a thread of their own and handed out as they come, so that face
//! work on the first frames overlaps the decoding of the rest (FFmpeg decodes H.264 on about one core;
//! the face nets use the others). Each frame comes with its difference hash and motion thumbnail
//! (video_checks.hpp frame_signature), computed on the decoding thread.
//! The decoder gets a thread only when the constructing thread's face nets have two torch threads or
//! more (StreamedClip lends it one of them while it decodes); with one, a job has one core's share of the
//! machine (several job workers) and the frames are decoded in the constructor, before any face work.
//! One consumer thread. The destructor stops the decoding at the next frame and joins, so a consumer
//! that gives up (a cancelled job) waits for at most one frame.
#include "ingest/face_follower.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/video_checks.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <atomic>
#include <mutex>
#include <thread>

namespace curator::ingest {

class FrameStream {
public:
  /// Starts decoding `indices` of `video` (sample_frames' arguments; with `decode_all` the whole stream
  /// is read and its frames counted, skipping the pictures of unsampled frames no frame refers to when
  /// `skip_unsampled`). Decodes them all before returning when the calling thread's torch threads are 1
  /// (see above).
  FrameStream(std::filesystem::path video, std::vector<int64_t> indices, double fps, bool decode_all,
              bool skip_unsampled = true);
  ~FrameStream();
  FrameStream(const FrameStream&) = delete;
  FrameStream& operator=(const FrameStream&) = delete;

  /// Sampled frame i with its signature, waiting until it is decoded; null when the clip ended before
  /// it. The pointer stays valid until finish() or the destructor. Rethrows what the decoding threw.
  struct Frame {
    SampledFrame frame;
    FrameSignature signature;
  };
  const Frame* wait(size_t i);

  /// Whether the decoding thread is still at work.
  bool decoding();

  struct Decoded {
    std::vector<SampledFrame> frames;
    FrameSignatures signatures;
    int64_t decoded_frames = 0; ///< with decode_all: the frames of the whole stream that decoded (else 0)
    double seconds = 0;         ///< wall time of the decoding, from the constructor
  };
  /// Waits for the decoding to end and hands over everything decoded; the stream is empty afterwards.
  Decoded finish();

private:
  void decode(const std::filesystem::path& video, const std::vector<int64_t>& indices, double fps, bool decode_all,
              bool skip_unsampled);

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> frames_; ///< a deque: references stay valid as frames are added
  bool ended_ = false;
  std::exception_ptr error_;
  int64_t decoded_frames_ = 0;
  double seconds_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_; ///< the decoding thread, when it has one
};

/// A stream's frames for FaceFollower::follow_clip, used from the thread that follows them. While the
/// stream still decodes, the face nets called from that thread use one torch thread fewer (at least 1),
/// so that the decoder has a core: sharing one, OpenMP's waiting threads starve it. Then all of them
/// again; the thread's count is restored when this object goes.
class StreamedClip {
public:
  explicit StreamedClip(FrameStream& stream);
  ~StreamedClip();
  StreamedClip(const StreamedClip&) = delete;
  StreamedClip& operator=(const StreamedClip&) = delete;

  FaceFollower::ClipFrame operator()(size_t i);
  FaceFollower::ClipFrames frames() {
    return [this](size_t i) { return (*this)(i); };
  }

private:
  FrameStream& stream_;
  const int threads_; ///< the thread's torch threads when constructed
};

} // namespace curator::ingest
