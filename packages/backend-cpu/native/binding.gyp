{
  # One loadable module; the SIMD kernels are three static libraries compiled from the same kernels.inc with
  # different ISA flags, so the addon dispatches at run time and never needs -march=native.
  "target_defaults": {
    "cflags_cc": ["-std=gnu++17", "-O3", "-fPIC", "-fno-math-errno", "-ffp-contract=fast", "-Wall", "-Wno-unused-function"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++20"],
    "cflags!": ["-fno-exceptions"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=gnu++17", "-O3"] },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } },
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  },
  "targets": [
    {
      "target_name": "nibble_kernels_baseline",
      "type": "static_library",
      "sources": ["src/kernels_baseline.cc"]
    },
    {
      "target_name": "nibble_kernels_avx2",
      "type": "static_library",
      "sources": ["src/kernels_avx2.cc"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mfma", "-mf16c"] }]]
    },
    {
      "target_name": "nibble_kernels_avx512",
      "type": "static_library",
      "sources": ["src/kernels_avx512.cc"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma", "-mprefer-vector-width=512", "-Wno-maybe-uninitialized"] }]]
    },
    {
      "target_name": "nibble_cpu",
      "sources": [
        "src/addon.cc",
        "src/copy.cc",
        "src/dispatch.cc",
        "src/lstm.cc",
        "src/lstm_small_batch.cc",
        "src/normalization.cc",
        "src/openblas.cc",
        "src/ops.cc",
        "src/reduce.cc",
        "src/sgemm.cc",
        "src/thread_pool.cc"
      ],
      "dependencies": ["nibble_kernels_baseline", "nibble_kernels_avx2", "nibble_kernels_avx512"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
