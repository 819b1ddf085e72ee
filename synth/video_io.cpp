#include "synth/video_io.hpp"

#include "core/error.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <sstream>

namespace curator::synth {

struct FrameReader::Impl {
  cv::VideoCapture capture;
};

FrameReader::FrameReader(const std::filesystem::path& file) : impl_(new Impl) {
  if (!impl_->capture.open(file.string(), cv::CAP_FFMPEG)) {
    delete impl_;
    throw InvalidInput("not a readable video: " + file.filename().string());
  }
  fps_ = impl_->capture.get(cv::CAP_PROP_FPS);
  size_ = {static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_WIDTH)),
           static_cast<int>(impl_->capture.get(cv::CAP_PROP_FRAME_HEIGHT))};
  if (fps_ <= 0 || size_.area() == 0) {
    delete impl_;
    throw InvalidInput("no frame rate or size in " + file.filename().string());
  }
}

FrameReader::~FrameReader() { delete impl_; }

bool FrameReader::next(cv::Mat& rgb) {
  cv::Mat bgr;
  if (!impl_->capture.read(bgr) || bgr.empty()) return false;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return true;
}

namespace {
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
} // namespace

H264Writer::H264Writer(const std::filesystem::path& out, cv::Size size, double fps, int crf) : size_(size), out_(out) {
  std::ostringstream cmd;
  cmd.precision(10);
  cmd << "ffmpeg -v error -y -f rawvideo -pix_fmt rgb24 -s " << size.width << "x" << size.height << " -r " << fps
      << " -i - -an -vf 'pad=ceil(iw/2)*2:ceil(ih/2)*2' -c:v libx264 -preset medium -crf " << crf
      << " -pix_fmt yuv420p"
      << " -movflags +faststart " << quoted(out.string());
  pipe_ = ::popen(cmd.str().c_str(), "w");
  if (!pipe_) throw Error(ErrorCode::internal, "cannot start ffmpeg to write " + out.filename().string());
}

H264Writer::~H264Writer() {
  if (pipe_) ::pclose(pipe_);
}

void H264Writer::write(const cv::Mat& rgb) {
  CV_Assert(rgb.type() == CV_8UC3 && rgb.size() == size_ && pipe_);
  const cv::Mat packed = rgb.isContinuous() ? rgb : rgb.clone();
  const size_t bytes = packed.total() * packed.elemSize();
  if (std::fwrite(packed.data, 1, bytes, pipe_) != bytes)
    throw Error(ErrorCode::internal, "ffmpeg stopped taking frames for " + out_.filename().string());
}

void H264Writer::close() {
  if (!pipe_) return;
  const int status = ::pclose(pipe_);
  pipe_ = nullptr;
  if (status != 0) throw Error(ErrorCode::internal, "ffmpeg failed to write " + out_.filename().string());
}

} // namespace curator::synth
