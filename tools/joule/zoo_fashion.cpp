// The Fashion-MNIST teacher, student and pruned student (examples/fashion): their types written
// by tools/to_cpp.py from examples/fashion/models.py, their trained weights compiled in
// (cmake/embed_bytes.cmake), so that `joule run fashion_student --precision int8 ...` needs no
// weights file.
#include "fashion_student.hpp"
#include "fashion_student_pruned.hpp"
#include "fashion_teacher.hpp"
#include "model.hpp"
#include "shipped_weights.hpp"

namespace joule::cli {

void add_fashion(std::vector<ZooEntry>& zoo) {
  using namespace shipped;
  ZooEntry teacher = zoo_entry<fashion::FashionTeacher>("fashion_teacher");
  teacher.shipped_float = ShippedWeights{{teacher_safetensors, teacher_safetensors_size},
                                         "examples/fashion/weights/teacher.safetensors"};
  zoo.push_back(std::move(teacher));
  ZooEntry student = zoo_entry<fashion::FashionStudent>("fashion_student");
  student.shipped_float = ShippedWeights{{student_safetensors, student_safetensors_size},
                                         "examples/fashion/weights/student.safetensors"};
  student.shipped_int8 = ShippedWeights{{student_int8_safetensors, student_int8_safetensors_size},
                                        "examples/fashion/weights/student_int8.safetensors"};
  zoo.push_back(std::move(student));
  ZooEntry pruned = zoo_entry<fashion::FashionStudentPruned>("fashion_student_pruned");
  pruned.shipped_float =
      ShippedWeights{{student_pruned_safetensors, student_pruned_safetensors_size},
                     "examples/fashion/weights/student_pruned.safetensors"};
  pruned.shipped_int8 =
      ShippedWeights{{student_pruned_int8_safetensors, student_pruned_int8_safetensors_size},
                     "examples/fashion/weights/student_pruned_int8.safetensors"};
  zoo.push_back(std::move(pruned));
}

}  // namespace joule::cli
