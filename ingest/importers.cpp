#include "ingest/importers.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace curator::ingest {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kVideoExtensions = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".gif"};

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw InvalidInput("not valid JSON: " + file.string());
  return j;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

std::vector<fs::path> find_videos(const fs::path& path) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && kVideoExtensions.count(lower(it->path().extension().string()))) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ImportItem> scan_ffpp(const fs::path& root) {
  if (!fs::is_directory(root / "original_sequences") && !fs::is_directory(root / "manipulated_sequences"))
    throw InvalidInput(root.string() + " does not look like FaceForensics++ (no original_sequences/ or manipulated_sequences/)");
  // Official splits: lists of [target, source] pairs; both ids and both pair names belong to the split.
  std::map<std::string, std::string> split_of;
  for (const char* split : {"train", "val", "test"}) {
    const fs::path f = root / "splits" / (std::string(split) + ".json");
    if (!fs::exists(f)) continue;
    for (const auto& pair : read_json(f)) {
      if (!pair.is_array() || pair.size() != 2) throw InvalidInput("expected [id, id] pairs in " + f.string());
      const auto a = pair[0].get<std::string>(), b = pair[1].get<std::string>();
      for (const auto& id : {a, b, a + "_" + b, b + "_" + a}) split_of[id] = split;
    }
  }
  const std::regex fake_name(R"((\d+)_(\d+))");
  std::vector<ImportItem> out;
  for (const auto& file : find_videos(root / "original_sequences")) {
    ImportItem item{file, {}};
    item.meta.label = Label::real;
    item.meta.source = "ffpp";
    item.meta.external_id = file.stem().string();
    if (auto it = split_of.find(item.meta.external_id); it != split_of.end()) item.meta.official_split = it->second;
    out.push_back(item);
  }
  if (fs::is_directory(root / "manipulated_sequences")) {
    for (const auto& method_dir : fs::directory_iterator(root / "manipulated_sequences")) {
      if (!method_dir.is_directory()) continue;
      for (const auto& file : find_videos(method_dir.path())) {
        ImportItem item{file, {}};
        item.meta.label = Label::fake;
        item.meta.source = "ffpp";
        item.meta.method = method_dir.path().filename().string();
        const std::string stem = file.stem().string();
        item.meta.external_id = item.meta.method + "/" + stem;
        std::smatch m;
        if (std::regex_match(stem, m, fake_name)) item.meta.derived_from = {m[1].str(), m[2].str()};
        if (auto it = split_of.find(stem); it != split_of.end()) item.meta.official_split = it->second;
        out.push_back(item);
      }
    }
  }
  return out;
}

std::vector<ImportItem> scan_dfdc(const fs::path& root) {
  std::vector<ImportItem> out;
  std::vector<fs::path> metas;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    if (it->path().filename() == "metadata.json") metas.push_back(it->path());
  if (metas.empty()) throw InvalidInput(root.string() + " does not look like DFDC (no metadata.json)");
  std::sort(metas.begin(), metas.end());
  for (const auto& meta_file : metas) {
    const auto meta = read_json(meta_file);
    if (!meta.is_object()) throw InvalidInput("expected an object of videos in " + meta_file.string());
    for (const auto& [name, info] : meta.items()) {
      const fs::path file = meta_file.parent_path() / name;
      if (!fs::exists(file)) continue; // metadata lists the whole part; only the present videos import
      ImportItem item{file, {}};
      const std::string label = info.value("label", "");
      item.meta.label = label == "FAKE" ? Label::fake : label == "REAL" ? Label::real : Label::unknown;
      item.meta.source = "dfdc";
      item.meta.external_id = name;
      if (info.contains("original") && info["original"].is_string()) item.meta.derived_from = {info["original"].get<std::string>()};
      out.push_back(item);
    }
  }
  return out;
}

std::vector<ImportItem> scan_celebdf(const fs::path& root) {
  std::set<std::string> test_set;
  const fs::path list = root / "List_of_testing_videos.txt";
  if (fs::exists(list)) {
    std::ifstream in(list);
    std::string label, rel;
    while (in >> label >> rel) test_set.insert(rel);
  }
  const std::regex fake_name(R"((id\d+)_(id\d+)_(\d+))");
  std::vector<ImportItem> out;
  bool any_folder = false;
  for (const char* folder : {"Celeb-real", "YouTube-real", "Celeb-synthesis"}) {
    if (!fs::is_directory(root / folder)) continue;
    any_folder = true;
    for (const auto& file : find_videos(root / folder)) {
      ImportItem item{file, {}};
      const std::string rel = std::string(folder) + "/" + file.filename().string();
      item.meta.source = "celebdf";
      item.meta.external_id = rel;
      item.meta.label = std::string(folder) == "Celeb-synthesis" ? Label::fake : Label::real;
      std::smatch m;
      const std::string stem = file.stem().string();
      if (item.meta.label == Label::fake && std::regex_match(stem, m, fake_name))
        item.meta.derived_from = {"Celeb-real/" + m[1].str() + "_" + m[3].str() + file.extension().string()};
      if (test_set.count(rel)) item.meta.official_split = "test";
      out.push_back(item);
    }
  }
  if (!any_folder) throw InvalidInput(root.string() + " does not look like Celeb-DF (no Celeb-real/, YouTube-real/ or Celeb-synthesis/)");
  return out;
}

std::vector<ImportItem> scan_folder(const fs::path& root, const std::string& source) {
  if (!fs::is_directory(root / "real") && !fs::is_directory(root / "fake"))
    throw InvalidInput(root.string() + " has neither a real/ nor a fake/ folder");
  std::vector<ImportItem> out;
  for (const auto& [folder, label] : {std::pair{"real", Label::real}, std::pair{"fake", Label::fake}}) {
    for (const auto& file : find_videos(root / folder)) {
      ImportItem item{file, {}};
      item.meta.label = label;
      item.meta.source = source;
      item.meta.external_id = fs::relative(file, root).string();
      out.push_back(item);
    }
  }
  return out;
}

} // namespace curator::ingest
