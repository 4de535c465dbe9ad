#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace troupe::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

TEST(ConfigTest, LogRedactionIsOnUnlessTurnedOff) {
  Result<LoadedConfig> defaults = Load({});
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->config.log.redact_pii);
  LoadRequest off;
  off.environment = {{"TROUPE_LOG_REDACT_PII", "off"}};
  Result<LoadedConfig> loaded = Load(off);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_FALSE(loaded->config.log.redact_pii);
  LoadRequest bad;
  bad.environment = {{"TROUPE_LOG_REDACT_PII", "maybe"}};
  Result<LoadedConfig> refused = Load(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("expected true or false, got 'maybe'"));
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

TEST(ConfigTest, ProvidersFromFileWithDefaults) {
  Result<LoadedConfig> loaded = LoadYaml(
      "chat:\n"
      "  default_provider: fast\n"
      "providers:\n"
      "  fast:\n"
      "    base_url: http://127.0.0.1:11434/v1\n"
      "    model: qwen2.5:0.5b\n"
      "    max_retries: 0\n"
      "  azure-big:\n"
      "    type: openai\n"
      "    base_url: https://x.openai.azure.com/openai/deployments/gpt4o\n"
      "    api_version: 2024-06-01\n"
      "    api_key: sk-secret\n"
      "    timeout_seconds: 30\n"
      "    context_length: 128000\n");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config& config = loaded->config;
  EXPECT_EQ(config.chat.default_provider, "fast");
  ASSERT_EQ(config.providers.size(), 2u);
  const ProviderConfig& fast = config.providers.at("fast");
  EXPECT_EQ(fast.type, "openai");
  EXPECT_EQ(fast.base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(fast.model, "qwen2.5:0.5b");
  EXPECT_EQ(fast.max_retries, 0);
  EXPECT_EQ(fast.timeout_seconds, 60);
  EXPECT_EQ(fast.context_length, 8192);
  const ProviderConfig& azure = config.providers.at("azure-big");
  EXPECT_EQ(azure.api_version, "2024-06-01");
  EXPECT_EQ(azure.api_key, "sk-secret");
  EXPECT_EQ(azure.timeout_seconds, 30);
  EXPECT_EQ(azure.context_length, 128000);
  EXPECT_EQ(loaded->sources.at("providers.fast.model").detail, "troupe.yaml:6");
}

TEST(ConfigTest, DefaultProviderIsLocalWithoutProviders) {
  Result<LoadedConfig> loaded = Load({});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->config.chat.default_provider, "local");
  EXPECT_TRUE(loaded->config.providers.empty());
  EXPECT_EQ(loaded->config.model.cache_slots, 4);
  EXPECT_EQ(loaded->config.model.max_queued_requests, 32);
}

TEST(ConfigTest, ProviderErrorsNameKeyAndLine) {
  Result<LoadedConfig> typo = LoadYaml("providers:\n  fast:\n    base_url: http://a/v1\n    modle: x\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().field(), "providers.fast.modle");
  EXPECT_THAT(typo.status().message(), HasSubstr("troupe.yaml:4:5"));
  EXPECT_THAT(typo.status().message(), HasSubstr("did you mean 'model'"));

  Result<LoadedConfig> scheme = LoadYaml("providers:\n  fast:\n    base_url: ftp://a/v1\n");
  ASSERT_FALSE(scheme.ok());
  EXPECT_EQ(scheme.status().field(), "providers.fast.base_url");
  EXPECT_THAT(scheme.status().message(), HasSubstr("troupe.yaml:3:15"));
  EXPECT_THAT(scheme.status().message(), HasSubstr("http:// or https://"));

  Result<LoadedConfig> no_url = LoadYaml("providers:\n  fast:\n    model: x\n");
  ASSERT_FALSE(no_url.ok());
  EXPECT_EQ(no_url.status().field(), "providers.fast.base_url");
  EXPECT_THAT(no_url.status().message(), HasSubstr("troupe.yaml:2: providers.fast: base_url is required"));

  EXPECT_THAT(LoadYaml("providers:\n  fast:\n    base_url: http://a\n    type: anthropic\n").status().message(),
              HasSubstr("must be one of openai"));
  EXPECT_THAT(LoadYaml("providers:\n  fast:\n    base_url: http://a\n    max_retries: 99\n").status().message(),
              HasSubstr("between 0 and 10"));
  EXPECT_THAT(LoadYaml("providers:\n  Fast:\n    base_url: http://a\n").status().message(),
              HasSubstr("must start with a-z"));
  EXPECT_THAT(LoadYaml("providers:\n  local:\n    base_url: http://a\n").status().message(),
              HasSubstr("'local' is the in-process model"));
  EXPECT_THAT(LoadYaml("providers: [a]\n").status().message(), HasSubstr("'providers' must map provider names"));
  EXPECT_THAT(LoadYaml("providers:\n  fast: http://a\n").status().message(), HasSubstr("must be a mapping"));
}

TEST(ConfigTest, DefaultProviderMustBeConfigured) {
  Result<LoadedConfig> loaded =
      LoadYaml("chat:\n  default_provider: big\nproviders:\n  fast:\n    base_url: http://a/v1\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().field(), "chat.default_provider");
  EXPECT_THAT(loaded.status().message(), HasSubstr("troupe.yaml:2"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("no provider named 'big' (configured: local, fast)"));

  LoadRequest request;
  request.environment = {{"TROUPE_CHAT_DEFAULT_PROVIDER", "nowhere"}};
  EXPECT_THAT(Load(request).status().message(), HasSubstr("TROUPE_CHAT_DEFAULT_PROVIDER: chat.default_provider"));
}

TEST(ConfigTest, MemoryAndWebhookSettings) {
  Result<LoadedConfig> loaded = LoadYaml(
      "chat:\n  summary_after_messages: 0\n  summary_keep_recent: 8\n  summary_provider: fast\n"
      "  recall_messages: 2\n  proactive_webhook_url: https://hooks.example.com/troupe\n"
      "  proactive_webhook_secret: shh\nproviders:\n  fast:\n    base_url: http://a/v1\n");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const ChatConfig& chat = loaded->config.chat;
  EXPECT_EQ(chat.summary_after_messages, 0);
  EXPECT_EQ(chat.summary_keep_recent, 8);
  EXPECT_EQ(chat.summary_provider, "fast");
  EXPECT_EQ(chat.recall_messages, 2);
  EXPECT_EQ(chat.proactive_webhook_url, "https://hooks.example.com/troupe");
  EXPECT_EQ(Render(*loaded).find("shh"), std::string::npos);

  Result<LoadedConfig> unknown = LoadYaml("chat:\n  summary_provider: big\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().field(), "chat.summary_provider");
  EXPECT_THAT(unknown.status().message(), HasSubstr("no provider named 'big' (configured: local)"));
  EXPECT_EQ(LoadYaml("chat:\n  proactive_webhook_url: ftp://x\n").status().field(), "chat.proactive_webhook_url");
  EXPECT_EQ(LoadYaml("chat:\n  recall_messages: 51\n").status().field(), "chat.recall_messages");
  EXPECT_EQ(LoadYaml("chat:\n  summary_keep_recent: 0\n").status().field(), "chat.summary_keep_recent");
}

TEST(ConfigTest, AgentPresenceTimeoutFromFileAndEnvironment) {
  Result<LoadedConfig> defaults = LoadYaml("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->config.support.presence_timeout, 90);
  Result<LoadedConfig> from_file = LoadYaml("support:\n  presence_timeout: 30\n");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->config.support.presence_timeout, 30);
  LoadRequest request;
  request.environment = {{"TROUPE_SUPPORT_PRESENCE_TIMEOUT", "120"}};
  Result<LoadedConfig> from_env = Load(request);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->config.support.presence_timeout, 120);
  EXPECT_THAT(Render(*from_env), HasSubstr("presence_timeout: 120"));
  EXPECT_EQ(LoadYaml("support:\n  presence_timeout: 0\n").status().field(), "support.presence_timeout");
}

TEST(ConfigTest, ExamplesInstallDefaultsOnAndTurnsOffFromFileOrEnvironment) {
  Result<LoadedConfig> defaults = LoadYaml("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->config.examples.install);
  Result<LoadedConfig> from_file = LoadYaml("examples:\n  install: false\n");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_FALSE(from_file->config.examples.install);
  LoadRequest request;
  request.environment = {{"TROUPE_EXAMPLES_INSTALL", "false"}};
  Result<LoadedConfig> from_env = Load(request);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_FALSE(from_env->config.examples.install);
  Result<LoadedConfig> wrong = LoadYaml("examples:\n  install: sometimes\n");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().field(), "examples.install");
}

TEST(ConfigTest, SpeechAndImageProvidersDefaultOfflineAndAreChecked) {
  Result<LoadedConfig> defaults = LoadYaml("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->config.speech.provider, "espeak");
  EXPECT_EQ(defaults->config.speech.format, "opus");
  EXPECT_EQ(defaults->config.images.provider, "avatar");
  EXPECT_EQ(defaults->config.images.size, 512);
  Result<LoadedConfig> remote = LoadYaml(
      "speech:\n  provider: openai\n  base_url: http://127.0.0.1:8880/v1\n  api_key: sk-speech\n  voice: nova\n"
      "images:\n  provider: a1111\n  base_url: http://127.0.0.1:7860\n  size: 768\n");
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  EXPECT_EQ(remote->config.speech.provider, "openai");
  EXPECT_EQ(remote->config.speech.voice, "nova");
  EXPECT_EQ(remote->config.images.provider, "a1111");
  EXPECT_EQ(remote->config.images.size, 768);
  EXPECT_THAT(Render(*remote), Not(HasSubstr("sk-speech")));
  LoadRequest request;
  request.environment = {{"TROUPE_IMAGES_PROVIDER", "openai"}};
  Result<LoadedConfig> from_env = Load(request);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->config.images.provider, "openai");
  EXPECT_EQ(LoadYaml("speech:\n  provider: festival\n").status().field(), "speech.provider");
  EXPECT_EQ(LoadYaml("images:\n  provider: dalle\n").status().field(), "images.provider");
  EXPECT_EQ(LoadYaml("speech:\n  format: mp3\n").status().field(), "speech.format");
  EXPECT_EQ(LoadYaml("images:\n  base_url: ftp://x\n").status().field(), "images.base_url");
}

TEST(ConfigTest, ToolSecretsFromFileAndEnvironmentNeverShown) {
  testing::TempDir dir;
  const auto file = dir / "troupe.yaml";
  std::ofstream(file) << "tools:\n  max_steps: 2\n  secrets:\n    BACKEND_TOKEN: from-file\n    OTHER: kept\n";
  LoadRequest request;
  request.file = file.string();
  request.environment = {{"TROUPE_TOOLS_SECRET_BACKEND_TOKEN", "from-env"}, {"TROUPE_TOOLS_SECRET_SEARX", "s3"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const ToolsConfig& tools = loaded->config.tools;
  EXPECT_EQ(tools.max_steps, 2);
  EXPECT_EQ(tools.secrets.at("BACKEND_TOKEN"), "from-env");
  EXPECT_EQ(tools.secrets.at("OTHER"), "kept");
  EXPECT_EQ(tools.secrets.at("SEARX"), "s3");
  EXPECT_EQ(loaded->sources.at("tools.secrets.BACKEND_TOKEN").detail, "TROUPE_TOOLS_SECRET_BACKEND_TOKEN");
  const std::string shown = Render(*loaded);
  EXPECT_THAT(shown, HasSubstr("BACKEND_TOKEN: \"***\""));
  for (const char* secret : {"from-env", "from-file", "kept", "s3"}) EXPECT_EQ(shown.find(secret), std::string::npos);

  Result<LoadedConfig> bad_name = LoadYaml("tools:\n  secrets:\n    lower-case: x\n");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().field(), "tools.secrets.lower-case");
  EXPECT_THAT(bad_name.status().message(), HasSubstr("troupe.yaml:3:5"));
  EXPECT_EQ(LoadYaml("tools:\n  secrets: [a]\n").status().field(), "tools.secrets");
  EXPECT_EQ(LoadYaml("tools:\n  max_steps: 33\n").status().field(), "tools.max_steps");
  LoadRequest bad_env;
  bad_env.environment = {{"TROUPE_TOOLS_SECRET_", "x"}};
  EXPECT_EQ(Load(bad_env).status().field(), "tools.secrets.");
}

TEST(ConfigTest, ProviderSettingsFromEnvironment) {
  testing::TempDir dir;
  const auto file = dir / "troupe.yaml";
  std::ofstream(file) << "providers:\n"
                         "  fast-small:\n"
                         "    base_url: http://127.0.0.1:8000/v1\n"
                         "    timeout_seconds: 5\n";
  LoadRequest request;
  request.file = file.string();
  request.environment = {
      {"TROUPE_PROVIDERS_FAST_SMALL_API_KEY", "sk-from-env"},
      {"TROUPE_PROVIDERS_FAST_SMALL_IDLE_TIMEOUT_SECONDS", "7"},
      {"TROUPE_PROVIDERS_CLOUD_BASE_URL", "https://api.openai.com/v1"},
      {"TROUPE_PROVIDERS_CLOUD_MODEL", "gpt-4o-mini"},
      {"TROUPE_CHAT_DEFAULT_PROVIDER", "cloud"},
  };
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config& config = loaded->config;
  const ProviderConfig& fast = config.providers.at("fast-small");
  EXPECT_EQ(fast.api_key, "sk-from-env");
  EXPECT_EQ(fast.timeout_seconds, 5);
  EXPECT_EQ(fast.idle_timeout_seconds, 7);
  const ProviderConfig& cloud = config.providers.at("cloud");
  EXPECT_EQ(cloud.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(cloud.model, "gpt-4o-mini");
  EXPECT_EQ(config.chat.default_provider, "cloud");
  EXPECT_EQ(loaded->sources.at("providers.fast-small.api_key").detail, "TROUPE_PROVIDERS_FAST_SMALL_API_KEY");

  LoadRequest unknown;
  unknown.environment = {{"TROUPE_PROVIDERS_CLOUD_BASEURL", "https://a"}};
  EXPECT_THAT(Load(unknown).status().message(), HasSubstr("TROUPE_PROVIDERS_CLOUD_BASEURL: not a provider setting"));

  LoadRequest missing_url;
  missing_url.environment = {{"TROUPE_PROVIDERS_CLOUD_API_KEY", "sk"}};
  EXPECT_THAT(Load(missing_url).status().message(),
              HasSubstr("TROUPE_PROVIDERS_CLOUD_API_KEY: providers.cloud: base_url is required"));
}

TEST(ConfigTest, RenderMasksProviderKeysAndLoadsAgain) {
  LoadRequest request;
  request.environment = {{"TROUPE_PROVIDERS_CLOUD_BASE_URL", "https://api.openai.com/v1"},
                         {"TROUPE_PROVIDERS_CLOUD_API_KEY", "sk-hunter2"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const std::string shown = Render(*loaded);
  EXPECT_EQ(shown.find("hunter2"), std::string::npos) << shown;
  EXPECT_THAT(shown, HasSubstr("api_key: \"***\"  # env TROUPE_PROVIDERS_CLOUD_API_KEY"));
  EXPECT_THAT(shown, HasSubstr("base_url: https://api.openai.com/v1  # env TROUPE_PROVIDERS_CLOUD_BASE_URL"));
  EXPECT_THAT(shown, HasSubstr("max_retries: 2  # default"));
  Result<LoadedConfig> reloaded = LoadYaml(shown);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString() << "\n" << shown;
  EXPECT_EQ(reloaded->config.providers.at("cloud").base_url, "https://api.openai.com/v1");
}

// Every URL-valued setting keeps its address readable and hides credentials inside it.
TEST(ConfigTest, RenderMasksCredentialsInsideEveryUrlSetting) {
  LoadRequest request;
  request.environment = {
      {"TROUPE_PROVIDERS_CLOUD_BASE_URL", "https://bob:hunter2@llm.example.com/v1?api-version=2024&token=tok3n"},
      {"TROUPE_CHAT_PROACTIVE_WEBHOOK_URL", "https://hooks.example.com/in?sig=s1gnature&channel=7#access_token=fr4g"},
      {"TROUPE_STORE_URL", "postgres://troupe:pw0rd@db/troupe?sslmode=require&sslpassword=k3y"}};
  Result<LoadedConfig> loaded = Load(request);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const std::string shown = Render(*loaded);
  for (const char* secret : {"hunter2", "tok3n", "s1gnature", "fr4g", "pw0rd", "k3y"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " shown in:\n" << shown;
  }
  EXPECT_THAT(shown, HasSubstr("https://bob:***@llm.example.com/v1?api-version=2024&token=***"));
  EXPECT_THAT(shown, HasSubstr("https://hooks.example.com/in?sig=***&channel=7#access_token=***"));
  EXPECT_THAT(shown, HasSubstr("postgres://troupe:***@db/troupe?sslmode=require&sslpassword=***"));
}

TEST(ConfigTest, EverySettingHasAnEnvironmentName) {
  for (const SettingInfo& setting : Settings()) {
    EXPECT_EQ(setting.env.rfind("TROUPE_", 0), 0u) << setting.key;
    EXPECT_FALSE(setting.description.empty()) << setting.key;
  }
}

}  // namespace
}  // namespace troupe::config
