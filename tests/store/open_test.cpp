// Opening stores: URL handling, connection failures, redaction; and API key minting.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "store/api_keys.h"
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

// A loopback port with nothing listening on it.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

Status OpenStatus(const std::string& url) {
  StoreOptions options;
  options.url = url;
  options.connect_timeout_seconds = 2;
  return Store::Open(options).status();
}

TEST(StoreOpen, UnsupportedSchemeIsInvalidArgument) {
  Status status = OpenStatus("mysql://root:hunter2@localhost/troupe");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "store.url");
  EXPECT_NE(status.message().find("mysql"), std::string::npos);
  EXPECT_EQ(status.message().find("hunter2"), std::string::npos);
  EXPECT_EQ(OpenStatus("").code(), StatusCode::kInvalidArgument);
}

TEST(StoreOpen, UnreachablePostgresIsUnavailableWithRedactedUrl) {
  const std::string url = "postgres://troupe:s3cret@127.0.0.1:" + std::to_string(ClosedPort()) + "/troupe";
  Status status = OpenStatus(url);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("troupe:***@127.0.0.1"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status.message();  // libpq's reason
  EXPECT_EQ(status.message().find("s3cret"), std::string::npos);
}

TEST(StoreOpen, SqliteDirectoryThatCannotBeCreatedIsUnavailable) {
  troupe::testing::TempDir dir;
  std::ofstream(dir / "blocker") << "a file where a directory should be";
  const std::string path = (dir / "blocker" / "sub" / "troupe.db").string();
  Status status = OpenStatus("sqlite://" + path);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find((dir / "blocker" / "sub").string()), std::string::npos) << status.message();
}

TEST(StoreOpen, SqliteUrlFormsAndDirectoryCreation) {
  troupe::testing::TempDir dir;
  for (const std::string& url : {"sqlite://" + (dir / "a" / "b" / "one.db").string(),
                                 "sqlite:" + (dir / "two.db").string(), (dir / "three.db").string()}) {
    StoreOptions options;
    options.url = url;
    options.sqlite_synchronous = "normal";
    Result<std::unique_ptr<Store>> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << url << ": " << store.status().ToString();
    EXPECT_EQ((*store)->backend(), "sqlite");
    ASSERT_OK((*store)->Migrate().status());
    User user;
    user.external_id = "x";
    EXPECT_OK((*store)->users().Create(user).status());
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "a" / "b" / "one.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "two.db"));

  StoreOptions memory;
  memory.url = "sqlite::memory:";
  ASSERT_OK_AND_ASSIGN(auto in_memory, Store::Open(memory));
  ASSERT_OK(in_memory->Migrate().status());
  EXPECT_OK(in_memory->CheckSchema());

  StoreOptions bad_sync;
  bad_sync.url = (dir / "four.db").string();
  bad_sync.sqlite_synchronous = "off";
  EXPECT_EQ(Store::Open(bad_sync).status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreOpen, RedactsPasswords) {
  EXPECT_EQ(RedactDatabaseUrl("postgres://troupe:secret@db.example:5432/troupe"),
            "postgres://troupe:***@db.example:5432/troupe");
  EXPECT_EQ(RedactDatabaseUrl("postgresql://troupe@db/troupe"), "postgresql://troupe@db/troupe");
  EXPECT_EQ(RedactDatabaseUrl("host=db user=troupe password=secret dbname=troupe"),
            "host=db user=troupe password=*** dbname=troupe");
  EXPECT_EQ(RedactDatabaseUrl("host=db password='se cret' dbname=troupe"), "host=db password=*** dbname=troupe");
  EXPECT_EQ(RedactDatabaseUrl("sqlite:///var/lib/troupe.db"), "sqlite:///var/lib/troupe.db");
}

TEST(ApiKeys, MintedKeysHaveTheDocumentedShape) {
  ASSERT_OK_AND_ASSIGN(MintedKey first, MintApiKey());
  ASSERT_OK_AND_ASSIGN(MintedKey second, MintApiKey());
  // trp_ + 12 base-36 + _ + 43 base-62 (std::regex is avoided: g++ 12 warns inside it under ASan).
  ASSERT_EQ(first.key.size(), 4u + 12 + 1 + 43) << first.key;
  EXPECT_EQ(first.key.substr(0, 4), "trp_");
  EXPECT_EQ(first.key.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz", 4), 16u) << first.key;
  EXPECT_EQ(first.key[16], '_');
  EXPECT_EQ(first.key.find_first_not_of(
                "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 17),
            std::string::npos)
      << first.key;
  EXPECT_EQ(first.key.substr(4, 12), first.prefix);
  EXPECT_NE(first.key, second.key);
  EXPECT_NE(first.prefix, second.prefix);
  EXPECT_EQ(first.secret_hash, HashApiKey(first.key));
  ASSERT_OK_AND_ASSIGN(std::string prefix, ApiKeyPrefix(first.key));
  EXPECT_EQ(prefix, first.prefix);
}

TEST(ApiKeys, PrefixRejectsForeignShapes) {
  for (const char* key : {"", "sk-abc", "trp_", "trp_short_x", "trp_ABCDEFGHIJKL_secret", "trp_abcdefghijkl-secret",
                          "trp_abcdefghijkl_", "trp_abcdefghijkl_bad!"}) {
    EXPECT_EQ(ApiKeyPrefix(key).status().code(), StatusCode::kUnauthenticated) << key;
  }
}

TEST(ApiKeys, HashIsSha256HexAndComparisonIsExact) {
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals(HashApiKey("a"), HashApiKey("a")));
  EXPECT_FALSE(ConstantTimeEquals(HashApiKey("a"), HashApiKey("b")));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace troupe::store::testing
