// profiles.cpp — the public API's view of the kind table (models/kinds.h):
// named profiles per model kind and the kind names.
#include "models/kinds.h"
#include "nncomp/nncomp.h"

namespace nncomp {
namespace {

const models::KindSpec& kind_named(const std::string& model) {
  const models::KindSpec* kind = models::find_kind(model);
  if (!kind)
    throw Error(ErrorKind::kUsage,
                "unknown model '" + model + "' (known: " + models::kind_names() + ")");
  return *kind;
}

}  // namespace

Config profile(const std::string& model, const std::string& name) {
  const auto& table = kind_named(model).profiles();
  auto it = table.find(name);
  if (it == table.end()) {
    std::string known;
    for (const auto& [k, v] : table) known += (known.empty() ? "" : ", ") + k;
    throw Error(ErrorKind::kUsage,
                "unknown profile '" + name + "' for model " + model + " (known: " + known + ")");
  }
  return it->second;
}

std::vector<std::string> profile_names(const std::string& model) {
  std::vector<std::string> names;
  for (const auto& [k, v] : kind_named(model).profiles()) names.push_back(k);
  return names;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& k : models::kind_table()) names.emplace_back(k.name);
  return names;
}

std::string model_name(ModelKind kind) {
  const models::KindSpec* k = models::find_kind(kind);
  if (!k)
    throw Error(ErrorKind::kCorrupt,
                "unknown model kind " + std::to_string(static_cast<unsigned>(kind)));
  return k->name;
}

ModelKind model_kind(const std::string& name) { return kind_named(name).kind; }

std::string model_summary(const std::string& name) { return kind_named(name).summary; }

}  // namespace nncomp
