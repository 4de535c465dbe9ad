#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace troupe::config {
namespace {

using ::testing::HasSubstr;

Result<LoadedConfig> LoadYaml(const std::string& yaml) { return LoadFromYamlText(yaml, "troupe.yaml"); }

TEST(ConfigTest, DefaultsWithoutAnySource) {
  Result<LoadedConfig> loaded = Load({});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->config.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(loaded->config.data_dir, "./data");
  EXPECT_EQ(loaded->config.EffectiveStoreUrl(), "sqlite://./data/troupe.db");
  EXPECT_EQ(loaded->sources.at("server.listen").kind, "default");
}

TEST(ConfigTest, FileThenEnvironmentThenFlags) {
  testing::TempDir dir;
  const auto file = dir / "troupe.yaml";
  std::ofstream(file) << "data_dir: /srv/troupe\n"
                         "server:\n"
                         "  listen: 0.0.0.0:9000\n"
                         "  io_threads: 4\n"
                         "store:\n"
                         "  pool_size: 8\n";
  LoadRequest request;
  request.file = file.string();
  request.environment = {{"TROUPE_SERVER_IO_THREADS", "6"}, {"TROUPE_STORE_POOL_SIZE", "3"}};
  request.flags = {{"store.pool_size", "12"}};
  request.flag_names = {{"store.pool_size", "--pool-size"}};

  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config& config = loaded->config;
  EXPECT_EQ(config.data_dir, "/srv/troupe");
  EXPECT_EQ(config.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(config.server.io_threads, 6);
  EXPECT_EQ(config.store.pool_size, 12);
  EXPECT_EQ(config.EffectiveStoreUrl(), "sqlite:///srv/troupe/troupe.db");

  EXPECT_EQ(loaded->sources.at("server.listen").kind, "file");
  EXPECT_EQ(loaded->sources.at("server.listen").detail, file.string() + ":3");
  EXPECT_EQ(loaded->sources.at("server.io_threads").detail, "TROUPE_SERVER_IO_THREADS");
  EXPECT_EQ(loaded->sources.at("store.pool_size").detail, "--pool-size");
}

TEST(ConfigTest, DataDirAnswersToTroupeData) {
  LoadRequest request;
  request.environment = {{"TROUPE_DATA", "/var/lib/troupe"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.data_dir, "/var/lib/troupe");
}

TEST(ConfigTest, ModelSettingsFromFileAndTroupeModel) {
  Result<LoadedConfig> from_file = LoadYaml("model:\n  path: /models/a.gguf\n  threads: 3\n");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->config.model.path, "/models/a.gguf");
  EXPECT_EQ(from_file->config.model.threads, 3);
  EXPECT_EQ(from_file->config.model.context_length, 4096);

  LoadRequest request;
  request.environment = {{"TROUPE_MODEL", "/models/b.gguf"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.model.path, "/models/b.gguf");
  EXPECT_EQ(loaded->sources.at("model.path").detail, "TROUPE_MODEL");

  Result<LoadedConfig> too_small = LoadYaml("model:\n  context_length: 10\n");
  ASSERT_FALSE(too_small.ok());
  EXPECT_EQ(too_small.status().field(), "model.context_length");
}

TEST(ConfigTest, UnknownKeyNamesLineAndSuggests) {
  Result<LoadedConfig> loaded = LoadYaml("server:\n  io_threads: 2\n  lisen: 127.0.0.1:1\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().field(), "server.lisen");
  EXPECT_THAT(loaded.status().message(), HasSubstr("troupe.yaml:3:3"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("did you mean 'server.listen'"));
}

TEST(ConfigTest, WrongTypeNamesKeyAndValuePosition) {
  Result<LoadedConfig> loaded = LoadYaml("log:\n  level: info\nserver:\n  io_threads: two\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().field(), "server.io_threads");
  EXPECT_THAT(loaded.status().message(), HasSubstr("troupe.yaml:4:15"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("expected an integer, got 'two'"));
}

TEST(ConfigTest, OutOfRangeAndEnumValuesAreRejected) {
  EXPECT_THAT(LoadYaml("server:\n  io_threads: 0\n").status().message(), HasSubstr("between 1 and 256"));
  EXPECT_THAT(LoadYaml("log:\n  level: loud\n").status().message(), HasSubstr("must be one of trace"));
  EXPECT_THAT(LoadYaml("server:\n  listen: localhost\n").status().message(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(LoadYaml("server:\n  listen: localhost:70000\n").status().message(), HasSubstr("0 to 65535"));
  EXPECT_THAT(LoadYaml("store:\n  sqlite_synchronous: off\n").status().message(), HasSubstr("full, normal"));
}

TEST(ConfigTest, StructureErrors) {
  EXPECT_THAT(LoadYaml("server: 5\n").status().message(), HasSubstr("'server' must be a mapping"));
  EXPECT_THAT(LoadYaml("- a\n- b\n").status().message(), HasSubstr("the file must be a mapping"));
  EXPECT_THAT(LoadYaml("server:\n  listen: [a, b]\n").status().message(), HasSubstr("not a list"));
  Result<LoadedConfig> broken = LoadYaml("server:\n  listen: [a, b\nstore: {\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("invalid YAML"));
  EXPECT_THAT(broken.status().message(), HasSubstr("troupe.yaml:"));
}

TEST(ConfigTest, EmptyFileAndEmptySectionKeepDefaults) {
  ASSERT_TRUE(LoadYaml("").ok());
  ASSERT_TRUE(LoadYaml("# nothing yet\n").ok());
  Result<LoadedConfig> loaded = LoadYaml("server:\n");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.server.io_threads, 2);
}

TEST(ConfigTest, BadEnvironmentValueNamesVariable) {
  LoadRequest request;
  request.environment = {{"TROUPE_SERVER_IO_THREADS", "lots"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("TROUPE_SERVER_IO_THREADS: server.io_threads"));
}

TEST(ConfigTest, BadFlagNamesFlag) {
  LoadRequest request;
  request.flags = {{"server.listen", "nowhere"}};
  request.flag_names = {{"server.listen", "--listen"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.status().message(), HasSubstr("--listen: server.listen"));
}

TEST(ConfigTest, MissingFileIsNotFound) {
  LoadRequest request;
  request.file = "/nonexistent/troupe.yaml";
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(loaded.status().message(), HasSubstr("/nonexistent/troupe.yaml"));
}

TEST(ConfigTest, RenderMasksSecretsAndNamesSources) {
  LoadRequest request;
  request.environment = {{"TROUPE_STORE_URL", "postgres://troupe:hunter2@db/troupe"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok());
  const std::string shown = Render(*loaded);
  EXPECT_THAT(shown, HasSubstr("postgres://troupe:***@db/troupe"));
  EXPECT_EQ(shown.find("hunter2"), std::string::npos);
  EXPECT_THAT(shown, HasSubstr("# env TROUPE_STORE_URL"));
  EXPECT_THAT(shown, HasSubstr("listen: 127.0.0.1:8080  # default"));

  // What Render prints is itself a valid config file that loads to the same values.
  Result<LoadedConfig> reloaded = LoadYaml(Render(*Load({})));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->config.server.listen, "127.0.0.1:8080");
}

TEST(ConfigTest, EverySettingHasAnEnvironmentName) {
  for (const SettingInfo& setting : Settings()) {
    EXPECT_EQ(setting.env.rfind("TROUPE_", 0), 0u) << setting.key;
    EXPECT_FALSE(setting.description.empty()) << setting.key;
  }
}

}  // namespace
}  // namespace troupe::config
