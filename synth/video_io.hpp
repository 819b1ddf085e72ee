#pragma once
//! Reading a video's frames in order and writing H.264 mp4 files through the ffmpeg command line.
//! One reader or writer per thread.
#include <opencv2/core.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace curator::synth {

/// A video's frames in order, as 8-bit RGB. Throws InvalidInput when the file is not a readable video.
class FrameReader {
public:
  explicit FrameReader(const std::filesystem::path& file);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;
  /// False at the end of the stream.
  bool next(cv::Mat& rgb);
  double fps() const { return fps_; }
  cv::Size size() const { return size_; }

private:
  struct Impl;
  Impl* impl_;
  double fps_ = 0;
  cv::Size size_;
};

/// Encodes RGB frames of one size as H.264 at `fps`, always the same way: libx264, preset medium, CRF
/// `crf`, yuv420p, no audio, faststart mp4. An odd width or height is padded to even with one black
/// column or row (right, bottom). Fakes and their re-encoded originals both go through it, so a real
/// and its fake cannot be told apart by codec, settings, pixel format, size or rate. close() finishes
/// the file and throws Error(internal) when ffmpeg failed.
class H264Writer {
public:
  H264Writer(const std::filesystem::path& out, cv::Size size, double fps, int crf);
  ~H264Writer();
  H264Writer(const H264Writer&) = delete;
  H264Writer& operator=(const H264Writer&) = delete;
  void write(const cv::Mat& rgb);
  void close();

private:
  FILE* pipe_ = nullptr;
  cv::Size size_;
  std::filesystem::path out_;
};

} // namespace curator::synth
