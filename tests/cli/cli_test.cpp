// Drives the real `troupe` binary as a user or a script would: exit codes, stdout, stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <cctype>
#include <string_view>

#include "support/process.h"
#include "support/temp_dir.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TroupeBinary;

// A bare HTTP/1.1 GET over a loopback socket; returns the whole response, headers included.
std::string HttpGet(int port, const std::string& path, const std::string& extra_headers = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + extra_headers + "\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, static_cast<size_t>(n));
  close(fd);
  return response;
}

// std::regex is avoided here: g++ 12 warns inside it at -O1 with ASan (docs/pitfalls.md).
int ListeningPort(const std::string& log) {
  constexpr std::string_view kMarker = "listening on 127.0.0.1:";
  const size_t at = log.find(kMarker);
  if (at == std::string::npos) return -1;
  return std::atoi(log.c_str() + at + kMarker.size());
}

// The first "trp_..." token in `text` (key characters are letters, digits and '_').
std::string FindKey(const std::string& text) {
  const size_t start = text.find("trp_");
  if (start == std::string::npos) return "";
  size_t end = start;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
  return text.substr(start, end - start);
}

// trp_<12 lowercase base-36>_<secret of letters and digits>
bool LooksLikeKey(const std::string& key) {
  if (key.size() < 18 || key.rfind("trp_", 0) != 0 || key[16] != '_') return false;
  for (size_t i = 4; i < 16; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(key[i])) && !std::islower(static_cast<unsigned char>(key[i]))) {
      return false;
    }
  }
  for (size_t i = 17; i < key.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(key[i]))) return false;
  }
  return true;
}

class CliTest : public ::testing::Test {
 protected:
  // Runs troupe with a private data directory and no TROUPE_* settings leaking in from outside.
  ProcessResult Troupe(std::vector<std::string> args, std::map<std::string, std::string> environment = {}) {
    args.insert(args.begin(), TroupeBinary());
    environment.emplace("TROUPE_DATA", data_.path().string());
    environment.emplace("TROUPE_LOG_LEVEL", "warn");
    return RunProcess(args, environment);
  }

  testing::TempDir data_;
};

TEST_F(CliTest, HelpListsCommandsAndExitsZero) {
  ProcessResult result = Troupe({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"serve", "version", "config", "db", "keys"}) {
    EXPECT_THAT(result.out, HasSubstr(command));
  }
}

TEST_F(CliTest, VersionPrintsVersion) {
  ProcessResult result = Troupe({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, ::testing::StartsWith("troupe 0."));
}

TEST_F(CliTest, UnknownCommandIsAUserError) {
  ProcessResult result = Troupe({"frobnicate"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("troupe: error"));
  EXPECT_TRUE(result.out.empty());
}

TEST_F(CliTest, ConfigShowMasksSecretsAndNamesSources) {
  const auto file = data_ / "troupe.yaml";
  std::ofstream(file) << "server:\n  io_threads: 3\n";
  ProcessResult result = Troupe({"--config", file.string(), "config", "show", "--log-level", "error"},
                                {{"TROUPE_STORE_URL", "postgres://troupe:hunter2@db.example/troupe"}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("url: postgres://troupe:***@db.example/troupe  # env TROUPE_STORE_URL"));
  EXPECT_THAT(result.out, HasSubstr("io_threads: 3  # file " + file.string() + ":2"));
  EXPECT_THAT(result.out, HasSubstr("level: error  # flag --log-level"));
  EXPECT_THAT(result.out + result.err, Not(HasSubstr("hunter2")));
}

TEST_F(CliTest, InvalidConfigNamesKeyAndLineAndExitsOne) {
  const auto file = data_ / "troupe.yaml";
  std::ofstream(file) << "store:\n  pool_size: many\n";
  ProcessResult result = Troupe({"--config", file.string(), "config", "show"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(file.string() + ":2:14: store.pool_size: expected an integer"));
}

TEST_F(CliTest, MissingConfigFileExitsOne) {
  ProcessResult result = Troupe({"--config", "/nonexistent.yaml", "config", "show"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("/nonexistent.yaml"));
}

TEST_F(CliTest, MigrateThenStatusOnSqlite) {
  ProcessResult before = Troupe({"db", "status"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_THAT(before.out, HasSubstr("schema version: 0"));
  EXPECT_THAT(before.out, HasSubstr("pending"));

  ProcessResult migrate = Troupe({"db", "migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_THAT(migrate.out, HasSubstr("applied 0001"));
  EXPECT_TRUE(std::filesystem::exists(data_ / "troupe.db"));

  ProcessResult again = Troupe({"db", "migrate"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, Not(HasSubstr("applied")));

  ProcessResult after = Troupe({"db", "status"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_THAT(after.out, Not(HasSubstr("pending")));
}

TEST_F(CliTest, JsonLogsAreOneObjectPerLine) {
  ProcessResult result = Troupe({"db", "migrate", "--log-level", "debug"}, {{"TROUPE_LOG_FORMAT", "json"}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.err);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(entry.is_object()) << "not a JSON object: " << line;
    EXPECT_EQ(entry["level"], "debug");
    EXPECT_TRUE(entry["msg"].is_string());
    ++parsed;
  }
  EXPECT_GT(parsed, 0);
}

// The debug line naming the database quotes its path; a path holding an e-mail address shows the
// redaction at work in both formats, and log.redact_pii=false turns it off.
TEST_F(CliTest, LogLinesHavePersonalDataRedacted) {
  const std::string private_dir = (data_.path() / "jane.doe@example.com").string();
  for (const std::string format : {"text", "json"}) {
    ProcessResult redacted = Troupe({"db", "migrate"}, {{"TROUPE_DATA", private_dir},
                                                        {"TROUPE_LOG_LEVEL", "debug"},
                                                        {"TROUPE_LOG_FORMAT", format}});
    ASSERT_EQ(redacted.exit_code, 0) << redacted.err;
    EXPECT_THAT(redacted.err, HasSubstr("[email]")) << format;
    EXPECT_THAT(redacted.err, Not(HasSubstr("jane.doe@example.com"))) << format;

    ProcessResult plain = Troupe({"db", "status"}, {{"TROUPE_DATA", private_dir},
                                                    {"TROUPE_LOG_LEVEL", "debug"},
                                                    {"TROUPE_LOG_FORMAT", format},
                                                    {"TROUPE_LOG_REDACT_PII", "false"}});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_THAT(plain.err, HasSubstr("jane.doe@example.com")) << format;
  }
}

TEST_F(CliTest, DatabaseFromNewerTroupeIsRefused) {
  ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
  ProcessResult tamper = RunProcess(
      {"sqlite3", (data_ / "troupe.db").string(),
       "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0);"});
  ASSERT_EQ(tamper.exit_code, 0) << tamper.err;

  ProcessResult migrate = Troupe({"db", "migrate"});
  EXPECT_EQ(migrate.exit_code, 2);
  EXPECT_THAT(migrate.err, HasSubstr("newer"));
  ProcessResult keys = Troupe({"keys", "create", "--scope", "admin"});
  EXPECT_EQ(keys.exit_code, 2);
  EXPECT_TRUE(keys.out.empty());
}

TEST_F(CliTest, UnreachablePostgresIsAnEnvironmentError) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  ProcessResult result = Troupe({"--database", "postgres://troupe:pw@127.0.0.1:1/troupe", "db", "migrate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("127.0.0.1"));
  EXPECT_THAT(result.err, Not(HasSubstr(":pw@")));
}

TEST_F(CliTest, ServeRefusesARemoteImageProviderWithoutItsAddress) {
  ProcessResult result = Troupe({"serve", "--listen", "127.0.0.1:0"}, {{"TROUPE_IMAGES_PROVIDER", "a1111"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("images.base_url is required with images.provider a1111"));
  ProcessResult speech = Troupe({"serve", "--listen", "127.0.0.1:0"},
                                {{"TROUPE_SPEECH_PROVIDER", "openai"}, {"TROUPE_SPEECH_TIMEOUT_SECONDS", "0"}});
  EXPECT_EQ(speech.exit_code, 1);
  EXPECT_THAT(speech.err, HasSubstr("speech.timeout_seconds"));
}

TEST_F(CliTest, UnsupportedDatabaseUrlIsAUserError) {
  ProcessResult result = Troupe({"--database", "mysql://localhost/troupe", "db", "migrate"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("mysql"));
}

TEST_F(CliTest, KeysCreatePrintsOnlyTheKey) {
  ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
  ProcessResult created = Troupe({"keys", "create", "--scope", "studio,agent", "--name", "ops"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_FALSE(created.out.empty());
  EXPECT_EQ(created.out.back(), '\n');
  EXPECT_TRUE(LooksLikeKey(created.out.substr(0, created.out.size() - 1))) << created.out;

  const std::string prefix = created.out.substr(4, 12);
  ProcessResult listed = Troupe({"keys", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(prefix));
  EXPECT_THAT(listed.out, HasSubstr("studio,agent"));
  EXPECT_THAT(listed.out, Not(HasSubstr(created.out.substr(18))));  // never the secret

  ProcessResult revoked = Troupe({"keys", "revoke", "1"});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_THAT(Troupe({"keys", "list"}).out, HasSubstr("revoked"));
}

TEST_F(CliTest, KeysCreateRejectsBadInput) {
  ASSERT_EQ(Troupe({"db", "migrate"}).exit_code, 0);
  ProcessResult bad_scope = Troupe({"keys", "create", "--scope", "root"});
  EXPECT_EQ(bad_scope.exit_code, 1);
  EXPECT_THAT(bad_scope.err, HasSubstr("unknown scope 'root'"));
  ProcessResult missing_scope = Troupe({"keys", "create"});
  EXPECT_EQ(missing_scope.exit_code, 1);
  EXPECT_THAT(missing_scope.err, HasSubstr("--scope"));
  ProcessResult no_user = Troupe({"keys", "create", "--scope", "client", "--user", "42"});
  EXPECT_EQ(no_user.exit_code, 1);
  EXPECT_THAT(no_user.err, HasSubstr("--user"));
  ProcessResult unknown_key = Troupe({"keys", "revoke", "99"});
  EXPECT_EQ(unknown_key.exit_code, 1);
}

TEST_F(CliTest, KeysCreateBeforeMigrateSaysWhatToDo) {
  ProcessResult result = Troupe({"keys", "create", "--scope", "admin"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("troupe db migrate"));
}

TEST_F(CliTest, ServeMigratesCreatesAdminKeyAndStopsOnSigterm) {
  testing::BackgroundProcess server(
      {TroupeBinary(), "serve", "--listen", "127.0.0.1:0", "--log-level", "info"},
      {{"TROUPE_DATA", data_.path().string()}});
  ASSERT_TRUE(server.WaitForStdout("trp_", std::chrono::seconds(30))) << server.err();
  ASSERT_TRUE(server.WaitForStderr("ready", std::chrono::seconds(30))) << server.err();
  const int port = ListeningPort(server.err());
  ASSERT_GT(port, 0) << server.err();
  const std::string ready = HttpGet(port, "/readyz");
  EXPECT_THAT(ready, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(ready, HasSubstr("database"));

  // The printed admin key opens the API; without it the API answers 401.
  const std::string key = FindKey(server.out());
  ASSERT_TRUE(LooksLikeKey(key)) << server.out();
  const std::string keys = HttpGet(port, "/api/v1/keys", "Authorization: Bearer " + key + "\r\n");
  EXPECT_THAT(keys, ::testing::StartsWith("HTTP/1.1 200")) << keys;
  EXPECT_THAT(keys, HasSubstr("\"scopes\":[\"admin\"]"));
  EXPECT_THAT(keys, Not(HasSubstr(key)));
  EXPECT_THAT(HttpGet(port, "/api/v1/keys"), ::testing::StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(HttpGet(port, "/api/v1/openapi.json"), ::testing::StartsWith("HTTP/1.1 200"));
  server.Signal(SIGTERM);
  ProcessResult result = server.Wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("shown only this once"));

  // The second start finds the key and prints none.
  testing::BackgroundProcess again({TroupeBinary(), "serve", "--listen", "127.0.0.1:0"},
                                   {{"TROUPE_DATA", data_.path().string()}});
  ASSERT_TRUE(again.WaitForStderr("ready", std::chrono::seconds(30))) << again.err();
  again.Signal(SIGINT);
  ProcessResult second = again.Wait(std::chrono::seconds(30));
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_THAT(second.out, Not(HasSubstr("trp_")));
}

// Without a model the server still starts and /readyz says how to get one; with --model (or
// TROUPE_MODEL) it loads the GGUF and reports it; a model that is not there stops start-up.
TEST_F(CliTest, ServeReportsTheLocalModelInReadiness) {
  {
    testing::BackgroundProcess server({TroupeBinary(), "serve", "--listen", "127.0.0.1:0"},
                                      {{"TROUPE_DATA", data_.path().string()}});
    ASSERT_TRUE(server.WaitForStderr("listening on", std::chrono::seconds(30))) << server.err();
    EXPECT_THAT(server.err(), HasSubstr("no local model: run 'troupe models pull'"));
    const std::string ready = HttpGet(ListeningPort(server.err()), "/readyz");
    EXPECT_THAT(ready, ::testing::StartsWith("HTTP/1.1 200"));
    EXPECT_THAT(ready, HasSubstr("\"loaded\":false"));
    EXPECT_THAT(ready, HasSubstr("troupe models pull"));
    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(std::chrono::seconds(30)).exit_code, 0);
  }
  const std::string model = (testing::SharedDir() / "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf").string();
  {
    testing::BackgroundProcess server({TroupeBinary(), "serve", "--listen", "127.0.0.1:0"},
                                      {{"TROUPE_DATA", data_.path().string()}, {"TROUPE_MODEL", model}});
    ASSERT_TRUE(server.WaitForStderr("listening on", std::chrono::seconds(30))) << server.err();
    const std::string ready = HttpGet(ListeningPort(server.err()), "/readyz");
    const nlohmann::json body = nlohmann::json::parse(ready.substr(ready.find("\r\n\r\n") + 4));
    const nlohmann::json& reported = body["details"]["model"];
    EXPECT_EQ(reported["loaded"], true);
    EXPECT_EQ(reported["architecture"], "qwen2");
    EXPECT_EQ(reported["file_type"], "Q4_K_M");
    EXPECT_EQ(reported["context_length"], 4096);  // model.context_length caps the trained 32768
    EXPECT_GT(reported["memory_bytes"].get<uint64_t>(), 10'000'000u);
    server.Signal(SIGTERM);
    EXPECT_EQ(server.Wait(std::chrono::seconds(30)).exit_code, 0);
  }
  const ProcessResult missing = RunProcess(
      {TroupeBinary(), "serve", "--listen", "127.0.0.1:0", "--model", (data_.path() / "none.gguf").string()},
      {{"TROUPE_DATA", data_.path().string()}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("none.gguf does not exist"));
}

TEST_F(CliTest, SigtermDuringStartUpExitsCleanly) {
  // "starting" is logged once the stop signals are held, before the database is opened: a SIGTERM
  // from then on must end in a clean stop, not death by signal.
  testing::BackgroundProcess server(
      {TroupeBinary(), "serve", "--listen", "127.0.0.1:0", "--log-level", "info"},
      {{"TROUPE_DATA", data_.path().string()}});
  ASSERT_TRUE(server.WaitForStderr("starting", std::chrono::seconds(30))) << server.err();
  server.Signal(SIGTERM);
  ProcessResult result = server.Wait(std::chrono::seconds(30));
  EXPECT_EQ(result.signal, 0) << result.err;
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("stopped"));
}

}  // namespace
}  // namespace troupe
