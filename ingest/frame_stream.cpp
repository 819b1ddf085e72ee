#include "ingest/frame_stream.hpp"

#include "ingest/faces/torch_threads.hpp"

#include <algorithm>
#include <chrono>

namespace curator::ingest {

FrameStream::FrameStream(std::filesystem::path video, std::vector<int64_t> indices, double fps, bool decode_all,
                         bool skip_unsampled) {
  if (faces::torch_threads_here() < 2) {
    decode(video, indices, fps, decode_all, skip_unsampled);
    return;
  }
  thread_ = std::thread([this, video = std::move(video), indices = std::move(indices), fps, decode_all, skip_unsampled] {
    decode(video, indices, fps, decode_all, skip_unsampled);
  });
}

FrameStream::~FrameStream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FrameStream::decode(const std::filesystem::path& video, const std::vector<int64_t>& indices, double fps,
                         bool decode_all, bool skip_unsampled) {
  const auto start = std::chrono::steady_clock::now();
  int64_t decoded = 0;
  try {
    stream_frames(
        video, indices, fps,
        [&](SampledFrame&& f) {
          auto signature = frame_signature(f.rgb);
          const std::lock_guard lock(mutex_);
          frames_.push_back({std::move(f), std::move(signature)});
          changed_.notify_all();
        },
        decode_all ? &decoded : nullptr, &stop_, skip_unsampled);
  } catch (...) {
    const std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  const std::lock_guard lock(mutex_);
  decoded_frames_ = decoded;
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ended_ = true;
  changed_.notify_all();
}

const FrameStream::Frame* FrameStream::wait(size_t i) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return i < frames_.size() || ended_; });
  if (i < frames_.size()) return &frames_[i];
  if (error_) std::rethrow_exception(error_);
  return nullptr;
}

bool FrameStream::decoding() {
  const std::lock_guard lock(mutex_);
  return !ended_;
}

FrameStream::Decoded FrameStream::finish() {
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
  Decoded out;
  out.decoded_frames = decoded_frames_;
  out.seconds = seconds_;
  for (auto& f : frames_) {
    out.signatures.hashes.push_back(f.signature.hash);
    out.signatures.thumbnails.push_back(std::move(f.signature.thumbnail));
    out.frames.push_back(std::move(f.frame));
  }
  frames_.clear();
  return out;
}

StreamedClip::StreamedClip(FrameStream& stream) : stream_(stream), threads_(faces::torch_threads_here()) {}

StreamedClip::~StreamedClip() { faces::set_torch_threads_here(threads_); }

FaceFollower::ClipFrame StreamedClip::operator()(size_t i) {
  const auto* f = stream_.wait(i);
  faces::set_torch_threads_here(stream_.decoding() ? std::max(1, threads_ - 1) : threads_);
  return f ? FaceFollower::ClipFrame{&f->frame.rgb, f->signature.hash} : FaceFollower::ClipFrame{};
}

} // namespace curator::ingest
