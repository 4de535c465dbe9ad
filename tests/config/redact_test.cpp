#include "base/redact.h"

#include <gtest/gtest.h>

namespace troupe {
namespace {

TEST(RedactTest, HidesPasswordInUrl) {
  EXPECT_EQ(RedactUrlCredentials("postgres://troupe:s3cret@db.internal:5432/troupe"),
            "postgres://troupe:***@db.internal:5432/troupe");
  EXPECT_EQ(RedactUrlCredentials("postgresql://u:p%40ss@h/db?sslmode=require"),
            "postgresql://u:***@h/db?sslmode=require");
}

TEST(RedactTest, HidesPasswordInQueryAndConninfo) {
  EXPECT_EQ(RedactUrlCredentials("postgres://h/db?user=u&password=secret&sslmode=disable"),
            "postgres://h/db?user=u&password=***&sslmode=disable");
  EXPECT_EQ(RedactUrlCredentials("host=db user=u password=secret dbname=troupe"),
            "host=db user=u password=*** dbname=troupe");
  EXPECT_EQ(RedactUrlCredentials("host=db password = 'a b\\'c' dbname=x"), "host=db password = *** dbname=x");
}

TEST(RedactTest, LeavesUrlsWithoutCredentialsAlone) {
  EXPECT_EQ(RedactUrlCredentials("sqlite://./data/troupe.db"), "sqlite://./data/troupe.db");
  EXPECT_EQ(RedactUrlCredentials("postgres://troupe@localhost/troupe"), "postgres://troupe@localhost/troupe");
  EXPECT_EQ(RedactUrlCredentials(""), "");
}

TEST(RedactTest, HidesQueryAndFragmentValuesNamedLikeSecrets) {
  EXPECT_EQ(RedactUrlCredentials("https://h/p?token=abc&page=2&API_KEY=k&signature=s#access_token=t&x=1"),
            "https://h/p?token=***&page=2&API_KEY=***&signature=***#access_token=***&x=1");
  EXPECT_EQ(RedactUrlCredentials("https://h/p?q=cats"), "https://h/p?q=cats");
  EXPECT_EQ(RedactUrlCredentials("https://h/p?token="), "https://h/p?token=");
}

TEST(RedactTest, LooksLikeSecretName) {
  for (const char* name : {"token", "api_key", "apiKey", "X-Api-Key", "client_secret", "PASSWORD", "pwd", "sig",
                           "Authorization", "credentials"}) {
    EXPECT_TRUE(LooksLikeSecretName(name)) << name;
  }
  for (const char* name : {"page", "model", "sslmode", "q", "channel"}) EXPECT_FALSE(LooksLikeSecretName(name)) << name;
}

TEST(RedactTest, HidesCredentialsInFreeText) {
  EXPECT_EQ(RedactSecrets("provider cloud: HTTP 401 from https://u:p4ss@api.example.com/v1/chat?key=abc: "
                          "Incorrect API key provided: Bearer sk-live-0123456789"),
            "provider cloud: HTTP 401 from https://u:***@api.example.com/v1/chat?key=***: "
            "Incorrect API key provided: Bearer ***");
  EXPECT_EQ(RedactSecrets("Incorrect API key provided: sk-proj-abcdef123456."), "Incorrect API key provided: sk-***.");
  EXPECT_EQ(RedactSecrets(R"({"api_key": "abc123", "model": "m"})"), R"({"api_key": "***", "model": "m"})");
  EXPECT_EQ(RedactSecrets("token=abc&x=1 password = hunter2"), "token=***&x=1 password = ***");
  EXPECT_EQ(RedactSecrets("nothing secret here: 42 tokens, the key point"),
            "nothing secret here: 42 tokens, the key point");
  EXPECT_EQ(RedactSecrets(""), "");
}

}  // namespace
}  // namespace troupe
