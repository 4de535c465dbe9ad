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

}  // namespace
}  // namespace troupe
