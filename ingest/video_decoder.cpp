#include "ingest/video_decoder.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

namespace curator::ingest {

namespace {

// FFmpeg's messages about a hostile file would flood the daemon's log; broken data is counted instead.
void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct SwsFreer {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
using Format = std::unique_ptr<AVFormatContext, FormatCloser>;

// The file's container with its stream facts read, and the index of its first video stream (-1: none).
Format open_format(const std::filesystem::path& video, int& stream) {
  AVFormatContext* raw = nullptr;
  stream = -1;
  if (avformat_open_input(&raw, video.c_str(), nullptr, nullptr) < 0) return nullptr;
  Format format(raw);
  if (avformat_find_stream_info(format.get(), nullptr) < 0) return nullptr;
  stream = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  return stream >= 0 ? std::move(format) : nullptr;
}

} // namespace

struct VideoDecoder::State {
  Format format;
  std::unique_ptr<AVCodecContext, CodecFreer> codec;
  std::unique_ptr<AVPacket, PacketFreer> packet{av_packet_alloc()};
  std::unique_ptr<AVFrame, FrameFreer> frame{av_frame_alloc()};
  std::unique_ptr<SwsContext, SwsFreer> sws;
  std::vector<uint8_t> buffer; ///< swscale's output, before the copy into a cv::Mat
  int stream = -1;
  int rotation = 0; ///< degrees the picture is turned clockwise for display, as OpenCV's reader reads them

  // Indexed streams: the sorted presentation times of the stream's packets (a frame's index is its
  // rank), and the largest presentation delay (pts - dts) among them, which a seek allows for.
  bool indexed = false;
  std::vector<int64_t> pts;
  int64_t max_delay = 0;
  std::vector<uint8_t> read; ///< per index: decoded, or skipped and parsed without an error

  int64_t next_output = 0; ///< streams not indexed: the index of the next frame out
  int64_t read_count = 0;
  int64_t pictures = 0;
  int64_t floor = 0; ///< frames below this index (the last seek's) never come out
  bool overshoot_checked = true; ///< whether the first frame after the last seek was checked
  bool draining = false, ended = false;

  std::optional<int64_t> index_of_pts(int64_t t) const {
    if (t == AV_NOPTS_VALUE) return std::nullopt;
    const auto it = std::lower_bound(pts.begin(), pts.end(), t);
    if (it == pts.end() || *it != t) return std::nullopt;
    return it - pts.begin();
  }

  void mark_read(int64_t index) {
    if (!indexed) {
      ++read_count;
    } else if (!read[static_cast<size_t>(index)]) {
      read[static_cast<size_t>(index)] = 1;
      ++read_count;
    }
  }

  // Reads every packet's presentation time; indexed when all have one and no two are equal.
  void build_index(const std::filesystem::path& video) {
    int index_stream = -1;
    const Format probe = open_format(video, index_stream);
    if (!probe || index_stream != stream) return;
    std::unique_ptr<AVPacket, PacketFreer> p{av_packet_alloc()};
    while (av_read_frame(probe.get(), p.get()) >= 0) {
      const bool ours = p->stream_index == stream && !(p->flags & AV_PKT_FLAG_DISCARD);
      const int64_t t = p->pts, d = p->dts;
      av_packet_unref(p.get());
      if (!ours) continue;
      if (t == AV_NOPTS_VALUE) return;
      pts.push_back(t);
      if (d != AV_NOPTS_VALUE) max_delay = std::max(max_delay, t - d);
    }
    std::sort(pts.begin(), pts.end());
    if (pts.empty() || std::adjacent_find(pts.begin(), pts.end()) != pts.end()) {
      pts.clear();
      return;
    }
    indexed = true;
    read.assign(pts.size(), 0);
  }

  bool seek_to_pts(int64_t target) {
    if (av_seek_frame(format.get(), stream, target, AVSEEK_FLAG_BACKWARD) < 0) return false;
    avcodec_flush_buffers(codec.get());
    draining = ended = false;
    return true;
  }

  cv::Mat to_rgb(const AVFrame& f) {
    if (f.width <= 0 || f.height <= 0) return {};
    // Larger frames come out scaled down to kMaxSide on their long side, in the same conversion.
    const double scale = std::min(1.0, static_cast<double>(VideoDecoder::kMaxSide) / std::max(f.width, f.height));
    const int width = std::max(1, static_cast<int>(std::lround(f.width * scale)));
    const int height = std::max(1, static_cast<int>(std::lround(f.height * scale)));
    sws.reset(sws_getCachedContext(sws.release(), f.width, f.height, static_cast<AVPixelFormat>(f.format), width,
                                   height, AV_PIX_FMT_RGB24, scale < 1 ? SWS_AREA : SWS_BICUBIC, nullptr, nullptr,
                                   nullptr));
    if (!sws) return {};
    // swscale's vector code may write past a row's end (and past the last row): convert into a padded,
    // aligned buffer, then copy.
    const int stride = (width * 3 + 63) / 64 * 64;
    buffer.resize(static_cast<size_t>(stride) * static_cast<size_t>(height + 1) + 64);
    uint8_t* base = buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64) % 64;
    uint8_t* dst[4] = {base, nullptr, nullptr, nullptr};
    int dst_stride[4] = {stride, 0, 0, 0};
    if (sws_scale(sws.get(), f.data, f.linesize, 0, f.height, dst, dst_stride) != height) return {};
    cv::Mat rgb;
    cv::Mat(height, width, CV_8UC3, base, static_cast<size_t>(stride)).copyTo(rgb);
    switch (rotation) {
    case 90: cv::rotate(rgb, rgb, cv::ROTATE_90_CLOCKWISE); break;
    case 180: cv::rotate(rgb, rgb, cv::ROTATE_180); break;
    case 270: cv::rotate(rgb, rgb, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: break;
    }
    return rgb;
  }
};

VideoDecoder::VideoDecoder(const std::filesystem::path& video) : s_(std::make_unique<State>()) {
  quiet_ffmpeg();
  s_->format = open_format(video, s_->stream);
  if (!s_->format) return;
  const AVStream* st = s_->format->streams[s_->stream];
  const AVCodec* decoder = avcodec_find_decoder(st->codecpar->codec_id);
  if (!decoder) return;
  s_->codec.reset(avcodec_alloc_context3(decoder));
  if (!s_->codec || avcodec_parameters_to_context(s_->codec.get(), st->codecpar) < 0) return;
  s_->codec->thread_count = 1;
  if (avcodec_open2(s_->codec.get(), decoder, nullptr) < 0) {
    s_->codec.reset();
    return;
  }
  if (const uint8_t* m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr)) {
    const double angle = av_display_rotation_get(reinterpret_cast<const int32_t*>(m));
    if (std::isfinite(angle)) {
      s_->rotation = static_cast<int>(std::lround(angle)); // as OpenCV 4.6 reads it (the tests compare)
      if (s_->rotation < 0) s_->rotation += 360;
    }
  }
  s_->build_index(video);
}

VideoDecoder::~VideoDecoder() = default;

bool VideoDecoder::is_open() const { return s_->format && s_->codec && s_->packet && s_->frame; }

bool VideoDecoder::indexed() const { return s_->indexed; }

int64_t VideoDecoder::indexed_frames() const { return static_cast<int64_t>(s_->pts.size()); }

int64_t VideoDecoder::frames_read() const { return s_->read_count; }

int64_t VideoDecoder::pictures_decoded() const { return s_->pictures; }

bool VideoDecoder::seek(int64_t index) {
  if (!is_open() || !s_->indexed || index < 0 || index >= indexed_frames()) return false;
  // Back by the largest presentation delay, so that the key frame found shows at or before the frame
  // whether the container seeks by decoding or by presentation time.
  if (!s_->seek_to_pts(s_->pts[static_cast<size_t>(index)] - s_->max_delay)) return false;
  s_->floor = index;
  s_->overshoot_checked = false;
  return true;
}

std::optional<VideoDecoder::Frame> VideoDecoder::next(const std::function<bool(int64_t)>& wanted, bool skip_unwanted,
                                                      const std::atomic<bool>* stop) {
  if (!is_open()) return std::nullopt;
  State& s = *s_;
  AVCodecContext* codec = s.codec.get();
  while (!s.ended) {
    // The frames the decoder has ready come first.
    for (;;) {
      const int got = avcodec_receive_frame(codec, s.frame.get());
      if (got == AVERROR(EAGAIN)) break;
      if (got == AVERROR_EOF) {
        s.ended = true;
        return std::nullopt;
      }
      if (got < 0) break; // a broken packet: its frame never comes
      ++s.pictures;
      const AVFrame& f = *s.frame;
      std::optional<int64_t> index;
      if (!s.indexed) index = s.next_output++;
      else index = s.index_of_pts(f.pts != AV_NOPTS_VALUE ? f.pts : f.best_effort_timestamp);
      if (!index) {
        av_frame_unref(s.frame.get());
        continue;
      }
      s.mark_read(*index);
      if (!s.overshoot_checked) { // the seek landed past its frame: start over from the beginning
        s.overshoot_checked = true;
        if (*index > s.floor && s.seek_to_pts(s.pts.front() - s.max_delay)) {
          av_frame_unref(s.frame.get());
          break;
        }
      }
      std::optional<Frame> out;
      if (*index >= s.floor && wanted(*index)) {
        cv::Mat rgb = s.to_rgb(f);
        if (!rgb.empty()) out = Frame{*index, std::move(rgb)};
      }
      av_frame_unref(s.frame.get());
      if (out) return out;
    }
    if (s.ended) break;
    if (stop && stop->load()) return std::nullopt;
    if (s.draining) { // the decoder said "again" after the end: nothing more will come
      s.ended = true;
      break;
    }
    if (av_read_frame(s.format.get(), s.packet.get()) < 0) {
      avcodec_send_packet(codec, nullptr);
      s.draining = true;
      continue;
    }
    AVPacket* p = s.packet.get();
    if (p->stream_index != s.stream) {
      av_packet_unref(p);
      continue;
    }
    std::optional<int64_t> index;
    if (s.indexed && !(p->flags & AV_PKT_FLAG_DISCARD)) index = s.index_of_pts(p->pts);
    const bool skip = skip_unwanted && index && (*index < s.floor || !wanted(*index));
    codec->skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    const int sent = avcodec_send_packet(codec, p);
    av_packet_unref(p);
    if (sent >= 0 && skip) s.mark_read(*index);
  }
  return std::nullopt;
}

} // namespace curator::ingest
