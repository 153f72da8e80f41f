// The dlib C++ peer of the face-embedding benchmark (Benchmarks/embed/run.py builds and runs it).
//
// Runs dlib's own face-recognition network (the type dlib's dnn_face_recognition_ex.cpp declares for
// dlib_face_recognition_resnet_model_v1.dat) on 150x150 RGB chips given as binary PPM files, with
// whatever BLAS the Debian libblas.so alternative points to (OpenBLAS when libopenblas-dev is installed).
// dlib's CPU code is single-threaded apart from BLAS; run.py sets OPENBLAS_NUM_THREADS=1.
//
//   dlib_peer MODEL.dat [--reps N] [--xml FILE] CHIP.ppm...
//   dlib_peer --blas          (prints {"blas": OpenBLAS's configuration, "core": the core kernels in use})
//
// Prints one JSON object: the runtime, the BLAS in use, per repetition the wall and process-CPU
// milliseconds of "batch 1" (16 calls of one chip, the chips cycled) and "batch 16" (one call of the
// 16 chips), and each distinct chip's descriptor computed alone and in one batch. With --xml it also
// writes the network, layer by layer with every weight (dlib's net_to_xml, 9 significant digits: float
// exact), which onnx_export.py turns into an ONNX graph.
#include <dlib/dnn.h>
#include <dlib/revision.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
// Present when the BLAS behind libblas.so is OpenBLAS; null otherwise (weak references).
char* openblas_get_config(void) __attribute__((weak));
char* openblas_get_corename(void) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
}

namespace {

using namespace dlib;

// dlib's face-recognition ResNet (29 convolutions, fc 256 -> 128), with affine layers in place of
// batch normalisation as for inference; deserialising the .dat fails if this differs from the file.
template <int K, typename IN> using conv3 = con<K, 3, 3, 1, 1, IN>;
template <int K, typename IN> using conv3_down = con<K, 3, 3, 2, 2, IN>;
template <int K, typename IN> using body = affine<conv3<K, relu<affine<conv3<K, IN>>>>>;
template <int K, typename IN> using body_down = affine<conv3<K, relu<affine<conv3_down<K, IN>>>>>;
// Same shape: out = relu(body(x) + x).
template <int K, typename IN> using unit = relu<add_prev1<body<K, tag1<IN>>>>;
// Down-sampling: out = relu(avg_pool2x2(x) + body_down(x)); where the shapes differ (the shortcut has half
// the channels; in the 256-channel units the convolution path is one row and column smaller), dlib's
// add_prev zero-extends each operand at the end of every dimension to the larger extent.
template <int K, typename IN>
using unit_down = relu<add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<body_down<K, tag1<IN>>>>>>>;

template <typename IN> using stage32 = unit<32, unit<32, unit<32, IN>>>;
template <typename IN> using stage64 = unit<64, unit<64, unit<64, unit_down<64, IN>>>>;
template <typename IN> using stage128 = unit<128, unit<128, unit_down<128, IN>>>;
template <typename IN> using stage256 = unit<256, unit<256, unit_down<256, IN>>>;
template <typename IN> using stage256_last = unit_down<256, IN>;

using stem = max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>;
using face_net = loss_metric<fc_no_bias<128, avg_pool_everything<
    stage256_last<stage256<stage128<stage64<stage32<stem>>>>>>>>;

constexpr long chip_side = 150;

struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads one binary PPM (P6, maxval 255) of exactly chip_side x chip_side pixels; anything else is refused.
matrix<rgb_pixel> read_chip(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw failure("cannot open " + path);
    auto token = [&]() -> std::string {
        std::string word;
        for (int c; (c = in.get()) != EOF;) {
            if (c == '#' && word.empty()) {
                while ((c = in.get()) != EOF && c != '\n') {}
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (!word.empty()) return word;
                continue;
            }
            word.push_back(static_cast<char>(c));
            if (word.size() > 8) break;
        }
        return word;
    };
    auto number = [&](const char* what) -> long {
        const std::string word = token();
        if (word.empty() || word.size() > 6 || word.find_first_not_of("0123456789") != std::string::npos)
            throw failure(path + ": bad PPM " + what);
        return std::stol(word);
    };
    if (token() != "P6") throw failure(path + ": not a binary PPM (P6)");
    const long width = number("width"), height = number("height"), maxval = number("maxval");
    if (width != chip_side || height != chip_side || maxval != 255)
        throw failure(path + ": expected a " + std::to_string(chip_side) + "x" + std::to_string(chip_side) +
                      " PPM with maxval 255, got " + std::to_string(width) + "x" + std::to_string(height) +
                      " maxval " + std::to_string(maxval));
    // The single whitespace byte after maxval was consumed by token().
    std::vector<unsigned char> bytes(static_cast<size_t>(chip_side * chip_side * 3));
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
        throw failure(path + ": truncated pixel data");
    matrix<rgb_pixel> chip(chip_side, chip_side);
    const unsigned char* p = bytes.data();
    for (long r = 0; r < chip_side; ++r)
        for (long c = 0; c < chip_side; ++c, p += 3) chip(r, c) = rgb_pixel(p[0], p[1], p[2]);
    return chip;
}

double wall_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string json_numbers(const std::vector<double>& values, const char* format) {
    std::string out = "[";
    char buffer[40];
    for (size_t i = 0; i < values.size(); ++i) {
        std::snprintf(buffer, sizeof buffer, format, values[i]);
        out += (i ? "," : "") + std::string(buffer);
    }
    return out + "]";
}

std::string json_descriptors(const std::vector<matrix<float, 0, 1>>& descriptors) {
    std::string out = "[";
    for (size_t i = 0; i < descriptors.size(); ++i) {
        std::vector<double> values(descriptors[i].begin(), descriptors[i].end());
        out += (i ? "," : "") + json_numbers(values, "%.9g");
    }
    return out + "]";
}

// "OpenBLAS 0.3.21 ... <core kernels> ..., N thread(s)" (openblas_get_config names the core kernels chosen).
std::string blas_description() {
    if (!openblas_get_config) return "BLAS other than OpenBLAS";
    std::string description = openblas_get_config();
    if (openblas_get_num_threads) description += ", " + std::to_string(openblas_get_num_threads()) + " thread(s)";
    return description;
}

// The core kernels OpenBLAS dispatches to ("Haswell", "SkylakeX", "Prescott"...): OPENBLAS_CORETYPE names them,
// and this is how a run checks that it was honoured. Empty when the BLAS is not OpenBLAS.
std::string blas_core() { return openblas_get_corename ? openblas_get_corename() : ""; }

struct samples {
    std::vector<double> wall, cpu;
    template <typename F> void measure(F&& work) {
        const double w0 = wall_ms(), c0 = cpu_ms();
        work();
        cpu.push_back(cpu_ms() - c0);
        wall.push_back(wall_ms() - w0);
    }
    std::string json() const {
        return "{\"wall_ms\":" + json_numbers(wall, "%.4f") + ",\"cpu_ms\":" + json_numbers(cpu, "%.4f") + "}";
    }
};

int run(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--blas") {  // which BLAS, before anything is timed
        std::printf("{\"blas\":%s,\"core\":%s}\n", json_string(blas_description()).c_str(),
                    json_string(blas_core()).c_str());
        return 0;
    }
    std::string model, xml;
    int reps = 7;
    std::vector<std::string> chip_paths;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--reps" || arg == "--xml") && i + 1 < argc) {
            const std::string value = argv[++i];
            if (arg == "--xml") {
                xml = value;
            } else {
                reps = std::atoi(value.c_str());
                if (reps < 1 || reps > 1000) throw failure("--reps must be 1...1000");
            }
        } else if (arg.rfind("--", 0) == 0) {
            throw failure("unknown option " + arg);
        } else if (model.empty()) {
            model = arg;
        } else {
            chip_paths.push_back(arg);
        }
    }
    if (model.empty() || chip_paths.empty())
        throw failure("usage: dlib_peer MODEL.dat [--reps N] [--xml FILE] CHIP.ppm...");

    face_net net;
    deserialize(model) >> net;
    std::vector<matrix<rgb_pixel>> chips;
    for (const auto& path : chip_paths) chips.push_back(read_chip(path));

    if (!xml.empty()) {
        const std::string partial = xml + ".partial";
        {
            std::ofstream out(partial);
            net_to_xml(net, out);
            if (!out.flush()) throw failure("cannot write " + partial);
        }
        if (std::rename(partial.c_str(), xml.c_str()) != 0) throw failure("cannot rename " + partial);
    }

    // Descriptors of the distinct chips, one call each and as one batch (parity checks both).
    std::vector<matrix<float, 0, 1>> alone;
    for (const auto& chip : chips) alone.push_back(net(chip));
    const std::vector<matrix<float, 0, 1>> batched = net(chips);

    std::vector<matrix<rgb_pixel>> sixteen;
    for (size_t i = 0; i < 16; ++i) sixteen.push_back(chips[i % chips.size()]);
    volatile float keep = 0;  // uses every result, so no call can be optimised away
    for (int i = 0; i < 3; ++i) keep = keep + net(sixteen[static_cast<size_t>(i)])(0);
    keep = keep + net(sixteen, 16)[0](0);

    samples one, many;
    for (int r = 0; r < reps; ++r)
        one.measure([&] {
            for (const auto& chip : sixteen) keep = keep + net(chip)(0);
        });
    for (int r = 0; r < reps; ++r)
        many.measure([&] { keep = keep + net(sixteen, 16)[15](0); });

    const std::string blas = blas_description();
    const std::string runtime = "dlib " + std::to_string(DLIB_MAJOR_VERSION) + "." +
                                std::to_string(DLIB_MINOR_VERSION) + "." + std::to_string(DLIB_PATCH_VERSION) + " C++";
    std::printf("{\"runtime\":%s,\"blas\":%s,\"core\":%s,\"faces_per_rep\":16,\"batch1\":%s,\"batch16\":%s,"
                "\"descriptors\":%s,\"descriptors_batched\":%s}\n",
                json_string(runtime).c_str(), json_string(blas).c_str(), json_string(blas_core()).c_str(),
                one.json().c_str(), many.json().c_str(),
                json_descriptors(alone).c_str(), json_descriptors(batched).c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dlib_peer: %s\n", e.what());
        return 1;
    }
}
