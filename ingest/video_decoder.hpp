#pragma once
//! Decodes the first video stream of a file with FFmpeg's libraries on the calling thread (one decoding
//! thread) and hands out the frames a caller wants, in display order, as 8-bit RGB turned upright the way
//! OpenCV's reader turns them (the stream's display matrix).
//!
//! Frames are indexed by the rank of their presentation time among the stream's packets, read from the
//! container before any decoding (cheap: no picture is decoded). So a frame's index is known before it is
//! decoded, and a frame the caller does not want can be skipped: the decoder parses its packet (NAL units,
//! slice headers) but not its picture, which H.264 and HEVC allow for frames no other frame refers to
//! (FFmpeg's AVDISCARD_NONREF; other codecs decode them anyway). Streams whose packets lack distinct
//! presentation times are decoded whole and indexed in output order, and cannot seek.
//!
//! Untrusted input: nothing here throws for a bad file; the file does not open, or a broken packet is
//! counted and left out (its frame never comes). Not thread-safe: one thread uses an instance.
#include <opencv2/core.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

namespace curator::ingest {

class VideoDecoder {
public:
  /// Frames wider or taller than this come out scaled down (aspect kept) to it on their long side, in the
  /// pixel-format conversion: the face path needs no more, and a sampled frame then costs at most
  /// 1920 x 1080 x 3 bytes however large the stream declares its pictures.
  static constexpr int kMaxSide = 1920;

  explicit VideoDecoder(const std::filesystem::path& video);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  /// Whether the file opened with a decodable video stream.
  bool is_open() const;
  /// Whether frames are indexed by presentation time (see above): then seek() works and skipping can.
  bool indexed() const;
  /// Frames of the stream by the container's packets (indexed streams; else 0).
  int64_t indexed_frames() const;

  /// Jumps to the key frame at or before frame `index`; frames before `index` then never come out.
  /// False (reading goes on from where it was) when the stream is not indexed or the jump fails.
  bool seek(int64_t index);

  struct Frame {
    int64_t index;
    cv::Mat rgb;
  };
  /// Reads on to the next frame whose index satisfies `wanted` and returns it. With `skip_unwanted`, the
  /// pictures of unwanted frames that no frame refers to are not decoded. Nothing at the end of the stream,
  /// or (at the next packet) once `*stop` is true.
  std::optional<Frame> next(const std::function<bool(int64_t)>& wanted, bool skip_unwanted,
                            const std::atomic<bool>* stop = nullptr);

  /// Frames read so far that gave a picture, or whose skipped packet parsed without an error. Packets the
  /// decoder refused are not counted: compared with the container's packet count, this counts broken data.
  int64_t frames_read() const;
  /// Pictures the decoder produced so far (frames_read() less the skipped ones).
  int64_t pictures_decoded() const;

private:
  struct State;
  std::unique_ptr<State> s_;
};

} // namespace curator::ingest
