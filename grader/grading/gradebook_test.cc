#include "grading/gradebook.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

nlohmann::json Result(double a, double b) {
  return {{"earned", a + b},
          {"total", 3},
          {"percent", 100 * (a + b) / 3},
          {"labs",
           {{{"lab", "fork_basics"},
             {"earned", a + b},
             {"checks",
              {{{"test", "ForkBasics.LinesInOrder"}, {"earned", a}},
               {{"test", "ForkBasics.ExitsZero"}, {"earned", b}}}}}}}};
}

std::vector<StoredResult> Class() {
  return {{"zoe", "/c/zoe", true, "", "", "", {}, Result(2, 0)},
          {"amy, jr", "/c/amy", true, "", "", "", {}, Result(2, 1)},
          {"bob", "/c/bob.zip", false, "The archive is empty.", "", "", {}, nullptr}};
}

TEST(Gradebook, StableColumnsThenOneRowPerStudentById) {
  EXPECT_EQ(GradebookCsv(Class()),
            "student_id,status,total,possible,percent,fork_basics,"
            "fork_basics:ForkBasics.LinesInOrder,fork_basics:ForkBasics.ExitsZero\r\n"
            "\"amy, jr\",graded,3.00,3.00,100.00,3.00,2.00,1.00\r\n"
            "bob,not graded,,,,,,\r\n"
            "zoe,graded,2.00,3.00,66.67,2.00,2.00,0.00\r\n");
}

TEST(Gradebook, TheOrderOfResultsChangesNothing) {
  std::vector<StoredResult> reversed = Class();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(GradebookCsv(reversed), GradebookCsv(Class()));
}

TEST(Gradebook, JsonHasEverySubmissionWithItsReason) {
  nlohmann::json json = GradebookJson(Class());
  EXPECT_EQ(json["columns"].size(), 8u);
  EXPECT_EQ(json["submissions"][1]["student_id"], "bob");
  EXPECT_EQ(json["submissions"][1]["problem"], "The archive is empty.");
  EXPECT_EQ(json["submissions"][0]["result"]["earned"], 3);
}

}  // namespace
}  // namespace forklab
