#include "grading/content_hash.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

TEST(ContentHash, StableAndSensitiveToHowPiecesAreCut) {
  EXPECT_EQ(ContentHash().Add("ab").Add("c").Hex(), ContentHash().Add("ab").Add("c").Hex());
  EXPECT_NE(ContentHash().Add("ab").Add("c").Hex(), ContentHash().Add("a").Add("bc").Hex());
  EXPECT_EQ(ContentHash().Hex(), "cbf29ce484222325");  // FNV-1a's offset basis: nothing fed
  EXPECT_EQ(ContentHash().Add("x").Hex().size(), 16u);
}

TEST(ContentHash, AMissingFileDiffersFromAnEmptyOne) {
  EXPECT_NE(ContentHash().AddFile("/nonexistent/forklab").Hex(),
            ContentHash().AddFile("/dev/null").Hex());
}

}  // namespace
}  // namespace forklab
