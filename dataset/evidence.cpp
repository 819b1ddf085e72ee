#include "dataset/evidence.hpp"

#include "ingest/video_checks.hpp"

#include <map>
#include <set>
#include <string>

namespace curator::dataset {

std::vector<std::pair<int64_t, int64_t>> resolved_relations(SQLite::Database& conn) {
  std::set<int64_t> done;
  std::map<std::pair<std::string, std::string>, int64_t> by_external;
  std::map<int64_t, std::string> source_of;
  SQLite::Statement s(conn, "SELECT id, source, external_id FROM submissions WHERE state = 'done'");
  while (s.executeStep()) {
    const int64_t id = s.getColumn(0).getInt64();
    done.insert(id);
    source_of[id] = s.getColumn(1).getString();
    if (!s.getColumn(2).isNull()) by_external.emplace(std::make_pair(source_of[id], s.getColumn(2).getString()), id);
  }
  std::vector<std::pair<int64_t, int64_t>> out;
  SQLite::Statement r(conn, "SELECT submission_id, derived_from FROM submission_relations ORDER BY submission_id, rowid");
  while (r.executeStep()) {
    const int64_t from = r.getColumn(0).getInt64();
    if (!done.count(from)) continue;
    const std::string ref = r.getColumn(1).getString();
    int64_t to = -1;
    if (ref.size() > 1 && ref[0] == '#') {
      try {
        to = std::stoll(ref.substr(1));
      } catch (const std::exception&) {
        continue; // validated at submission; an odd reference links nothing
      }
      if (!done.count(to)) continue;
    } else {
      auto it = by_external.find({source_of[from], ref});
      if (it == by_external.end()) continue;
      to = it->second;
    }
    if (to != from) out.emplace_back(from, to);
  }
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> near_duplicate_pairs(const std::vector<std::vector<uint64_t>>& h, int bits) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (uint32_t i = 0; i < h.size(); ++i)
    for (uint32_t j = i + 1; j < h.size(); ++j)
      if (!h[i].empty() && h[i].size() == h[j].size() && ingest::mean_hash_distance(h[i], h[j]) <= bits)
        out.emplace_back(i, j);
  return out;
}

} // namespace curator::dataset
