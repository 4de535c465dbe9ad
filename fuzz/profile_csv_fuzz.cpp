// Customer profile CSVs from outside (operators' exports): any input gives a parse or an error
// naming "csv". In a parse, every line read is either a row or one error starting "line N: ", rows
// have an external_id and come in line order, and each field's value has its column's type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>

#include "chat/customers/profile_csv.h"

using namespace troupe::chat::customers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  troupe::Result<ProfileCsv> csv = ParseProfileCsv(text);
  if (!csv.ok()) {
    if (csv.status().field() != "csv" || csv.status().message().empty()) std::abort();
    return 0;
  }
  if (csv->rows.size() + csv->errors.size() != static_cast<size_t>(csv->lines_read)) std::abort();
  std::map<std::string, ProfileFieldType> types;
  for (const ProfileCsvColumn& column : csv->columns) types[column.name] = column.type;
  int previous_line = 1;
  for (const ProfileCsvRow& row : csv->rows) {
    if (row.external_id.empty() || row.line <= previous_line) std::abort();
    previous_line = row.line;
    for (const auto& [name, value] : row.fields.items()) {
      auto type = types.find(name);
      if (type == types.end()) std::abort();
      const bool fits = type->second == ProfileFieldType::kNumber    ? value.is_number()
                        : type->second == ProfileFieldType::kBoolean ? value.is_boolean()
                                                                     : value.is_string();
      if (!fits) std::abort();
    }
  }
  for (const std::string& error : csv->errors) {
    if (error.rfind("line ", 0) != 0) std::abort();
  }
  return 0;
}
