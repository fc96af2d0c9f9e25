import Foundation
import KernelTemplates
import RNNCodegen
import RNNModel

/// A machine rnngen builds kernels for and runs them on, natively or under
/// emulation: `rnngen verify --target` and `rnngen size --target`. Each
/// knows its cross compiler, flags, start-up files, emulator and the Debian
/// packages that provide them.
public struct Target: Sendable {
    /// The targets are generation's (`KernelTarget`): one list of names.
    public typealias Name = KernelTarget

    public let name: Name
    /// The CPU and what it exercises, for reports and --help.
    public let summary: String
    /// Kernel languages built for it (Swift as Embedded Swift on microcontrollers).
    public let languages: [KernelOptions.Language]
    public let cCompiler: String
    /// Code generation flags for every compile and link.
    public let archFlags: [String]
    /// Link flags after the sources.
    public let linkFlags: [String]
    /// Support files written beside the sources: `startup.c`, `link.ld`.
    let supportFiles: [(name: String, template: String)]
    /// Embedded Swift flags (for targets whose languages hold Swift; not the host).
    let swiftFlags: [String]
    /// Link flags for a program with Swift in it.
    var swiftLinkFlags: [String] {
        // Swift objects use 32-bit enums and newlib variable-size ones; no enum crosses between them.
        archFlags.contains("-mthumb") ? ["-Wl,--no-enum-size-warning", "-Wl,--no-warn-execstack"] : []
    }
    /// Runs a program: the emulator's command line, the program's path appended.
    public let emulator: [String]
    /// The Debian packages that hold the compiler, C library and emulator.
    public let packages: [String]
    /// A file the C compiler must find for the target's C library.
    let libraryFile: String?
    /// A bare-metal board: flash and RAM are what `size` reports.
    public var isMicrocontroller: Bool { name.isMicrocontroller }
    /// The board timer `rnngen bench --target` counts instructions with;
    /// nil where QEMU runs no board with a virtual-time timer (the host,
    /// AArch64 Linux under qemu-user).
    public var benchTimer: TargetBenchRenderer.Timer? {
        switch name {
        case .cortexM4, .cortexM7, .cortexM3: return .cmsdkAPB
        case .cortexM55: return .sse300Counter
        case .rv32: return .riscvCycle
        case .host, .aarch64: return nil
        }
    }

    public static func named(_ text: String) throws -> Target {
        guard let name = Name(rawValue: text) else {
            throw RNNError(at: "--target \(Quote.text(text))", "unknown target (expected \(Name.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return Target.all.first { $0.name == name }!
    }

    static let cortexMLink = ["-T", "link.ld", "--specs=rdimon.specs", "-Wl,--gc-sections", "-lm"]
    static let cortexMFiles = [(name: "startup.c", template: "cortex_m_startup.c"), (name: "link.ld", template: "cortex_m.ld")]
    static let armPackages = ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "qemu-system-arm"]
    static func qemuArm(_ board: String) -> [String] { ["qemu-system-arm", "-M", board, "-nographic", "-monitor", "none", "-semihosting", "-kernel"] }

    public static let all: [Target] = [
        Target(name: .host, summary: "this machine, natively", languages: [.c, .swift], cCompiler: Toolchain().cCompiler,
               archFlags: [], linkFlags: ["-lm"], supportFiles: [], swiftFlags: [], emulator: [], packages: ["build-essential"], libraryFile: nil),
        Target(name: .cortexM4, summary: "Cortex-M4F (MPS2-AN386): single-precision FPU, no SIMD",
               languages: [.c, .swift], cCompiler: "arm-none-eabi-gcc",
               archFlags: ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
               linkFlags: cortexMLink, supportFiles: cortexMFiles,
               swiftFlags: ["-target", "armv7em-none-none-eabi", "-Xcc", "-mfloat-abi=hard", "-Xcc", "-mfpu=fpv4-sp-d16"],
               emulator: qemuArm("mps2-an386"), packages: armPackages, libraryFile: "librdimon.a"),
        Target(name: .cortexM7, summary: "Cortex-M7 (MPS2-AN500): single-precision FPv5, dual issue, no SIMD",
               languages: [.c, .swift], cCompiler: "arm-none-eabi-gcc",
               archFlags: ["-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"],
               linkFlags: cortexMLink, supportFiles: cortexMFiles,
               swiftFlags: ["-target", "armv7em-none-none-eabi", "-Xcc", "-mfloat-abi=hard", "-Xcc", "-mfpu=fpv5-sp-d16"],
               emulator: qemuArm("mps2-an500"), packages: armPackages, libraryFile: "librdimon.a"),
        Target(name: .cortexM55, summary: "Cortex-M55 (MPS3-AN547): Helium (MVE) vectors",
               languages: [.c], cCompiler: "arm-none-eabi-gcc",
               archFlags: ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"],
               // The AN547's 512 KiB ITCM and DTCM (cortex_m.ld defaults to the MPS2 map).
               linkFlags: cortexMLink + ["-Wl,--defsym=__flash=0", "-Wl,--defsym=__flash_size=0x80000",
                                         "-Wl,--defsym=__ram=0x20000000", "-Wl,--defsym=__ram_size=0x80000"],
               supportFiles: cortexMFiles, swiftFlags: [], emulator: qemuArm("mps3-an547"), packages: armPackages, libraryFile: "librdimon.a"),
        Target(name: .cortexM3, summary: "Cortex-M3 (MPS2-AN385): no FPU, soft float",
               languages: [.c], cCompiler: "arm-none-eabi-gcc",
               archFlags: ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"],
               linkFlags: cortexMLink, supportFiles: cortexMFiles, swiftFlags: [], emulator: qemuArm("mps2-an385"),
               packages: armPackages, libraryFile: "librdimon.a"),
        Target(name: .rv32, summary: "RISC-V rv32imafc (QEMU virt): single-precision FPU, no vectors",
               languages: [.c, .swift], cCompiler: "riscv64-unknown-elf-gcc",
               archFlags: ["-march=rv32imafc", "-mabi=ilp32f", "--specs=picolibc.specs"],
               // picolibc over semihosting, its crt0 calling exit; QEMU virt's RAM at 0x80000000.
               linkFlags: ["--oslib=semihost", "--crt0=semihost", "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x800000",
                           "-Wl,--defsym=__ram=0x80800000", "-Wl,--defsym=__ram_size=0x800000", "-Wl,--defsym=__stack_size=0x20000",
                           "-Wl,--gc-sections", "-lm"],
               supportFiles: [], swiftFlags: ["-target", "riscv32-none-none-eabi", "-Xcc", "-march=rv32imafc", "-Xcc", "-mabi=ilp32f"],
               emulator: ["qemu-system-riscv32", "-M", "virt", "-nographic", "-monitor", "none", "-bios", "none",
                          "-semihosting-config", "enable=on,target=native", "-kernel"],
               packages: ["gcc-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf", "qemu-system-misc"], libraryFile: "picolibc.specs"),
        Target(name: .aarch64, summary: "AArch64 Linux (qemu-aarch64): NEON vectors",
               languages: [.c], cCompiler: "aarch64-linux-gnu-gcc",
               archFlags: [], linkFlags: ["-static", "-lm"], supportFiles: [], swiftFlags: [], emulator: ["qemu-aarch64"],
               packages: ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "qemu-user"], libraryFile: "libc.a"),
    ]

    /// Embedded Swift's flags besides the target's own: no allocation in the
    /// kernels is checked elsewhere; stack protectors need a runtime newlib lacks.
    static let embeddedSwiftFlags = ["-enable-experimental-feature", "Embedded", "-wmo", "-O", "-parse-as-library",
                                     "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections"]

    /// The board's start-up files (`startup.c`, `link.ld`), named and filled in.
    var supportSources: [(String, [UInt8])] { supportFiles.map { ($0.name, Array(KernelTemplates.c[$0.template]!.utf8)) } }

    /// The kernel's files and the board's start-up files: what every
    /// program built for this target compiles, besides its own main.
    func programSources(_ plan: KernelPlan) throws -> [(String, [UInt8])] {
        try KernelGenerator.buildSources(plan) + supportSources
    }

    /// The C flags of every program built for this target, at `optimization`.
    func cFlags(_ optimization: String) -> [String] {
        archFlags + ["-std=c99", optimization, "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections"]
    }

    /// What a program printed under the target's emulator.
    struct EmulatedRun {
        /// The output holding `marker` (semihosting output reaches QEMU's
        /// stdout or stderr depending on the C library; a program writes to
        /// one of them only), and the other one, trimmed.
        var printed: String, other: String
        var status: Int32
        /// The program and emulator, for errors.
        var place: String
    }

    /// Runs `program` under the emulator (`extraFlags` after its name);
    /// a run past `timeout` seconds is stopped and an error.
    func emulate(_ program: URL, extraFlags: [String] = [], marker: String, timeout: Double) throws -> EmulatedRun {
        let result = try Subprocess.run(emulator[0], extraFlags + Array(emulator.dropFirst()) + [program.path], timeout: timeout)
        let place = "\(program.path) under \(emulator[0])"
        if result.timedOut { throw RNNError(file: place, "still running after \(Int(timeout)) s; stopped") }
        let printed = result.stdout.contains(marker) ? result.stdout : result.stderr
        let other = printed == result.stdout ? result.stderr : result.stdout
        return EmulatedRun(printed: printed, other: other.trimmingCharacters(in: .whitespacesAndNewlines), status: result.status, place: place)
    }

    /// Refuses, naming the packages to install, when a tool this target needs
    /// for `language` is missing (`run`: the emulator too).
    public func requireTools(_ language: KernelOptions.Language, run: Bool, swiftCompiler: String = Toolchain().swiftCompiler) throws {
        var tools = [cCompiler]
        if language == .swift { tools.append(swiftCompiler) }
        if run, let emulator = emulator.first { tools.append(emulator) }
        let install = "install the Debian packages \(packages.joined(separator: " ")) (apt-get install \(packages.joined(separator: " ")))"
        for tool in tools where !Toolchain.onPath(tool) {
            throw RNNError(at: "--target \(name.rawValue)", "needs \(tool), which is not on PATH: \(install)")
        }
        if let libraryFile {
            let found = try Subprocess.run(cCompiler, archFlags + ["-print-file-name=\(libraryFile)"])
            let path = found.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if found.status != 0 || !path.contains("/") {
                throw RNNError(at: "--target \(name.rawValue)", "\(cCompiler) cannot find its C library (\(libraryFile)): \(install)")
            }
        }
    }
}

/// Builds a kernel with `TargetProgramRenderer`'s program for a target
/// (cached like every build) and runs it under the target's emulator.
public struct TargetRunner {
    public let target: Target
    public var toolchain: Toolchain
    /// Longest an emulated run may take, in seconds.
    public var timeout: Double = 600

    public init(target: Target, toolchain: Toolchain = Toolchain()) {
        self.target = target
        self.toolchain = toolchain
    }

    /// The built program for `plan` on `cases`; its path. `run` has checked
    /// the language and the tools.
    func build(_ plan: KernelPlan, cases: [KernelCase]) throws -> URL {
        let language = plan.options.language
        var sources = try target.programSources(plan)
        let startup = target.supportFiles.map(\.name).filter { $0.hasSuffix(".c") }
        let cFlags = target.cFlags("-O2")
        var steps: [(String, [String])]
        switch language {
        case .c:
            sources.append(("program.c", Array(TargetProgramRenderer.c(plan, cases: cases).utf8)))
            let cFiles = sources.map(\.0).filter { $0.hasSuffix(".c") }
            steps = [(target.cCompiler, cFlags + cFiles + target.linkFlags + ["-o", "program.elf"])]
        case .swift:
            sources.append(("main.swift", Array(TargetProgramRenderer.swift(plan, cases: cases).utf8)))
            sources.append(("swift_support.c", Array(KernelTemplates.c["embedded_swift_support.c"]!.utf8)))
            let swiftFiles = sources.map(\.0).filter { $0.hasSuffix(".swift") }
            steps = [(toolchain.swiftCompiler, target.swiftFlags + Target.embeddedSwiftFlags + ["-c"] + swiftFiles + ["-o", "program.o"]),
                     (target.cCompiler, cFlags + ["program.o"] + startup + ["swift_support.c"] + target.linkFlags
                        + target.swiftLinkFlags + ["-o", "program.elf"])]
        }
        let directory = try BuildCache(toolchain.cacheDirectory).build(kind: "\(target.name.rawValue)-\(language.rawValue)", sources: sources, steps: steps,
                                                                       what: "the \(language.rawValue) kernel for \(target.name.rawValue)")
        return directory.appendingPathComponent("program.elf")
    }

    /// Runs `cases` through `plan`'s kernel on the target: one program, one
    /// emulator run, every case's outputs as the interpreter gives them.
    public func run(_ plan: KernelPlan, cases: [KernelCase]) throws -> [RawOutputs] {
        let language = plan.options.language
        guard target.languages.contains(language) else {
            throw RNNError(at: "--target \(target.name.rawValue)", "builds \(target.languages.map(\.rawValue).joined(separator: " and ")) kernels, not \(language.rawValue)")
        }
        try target.requireTools(language, run: true, swiftCompiler: toolchain.swiftCompiler)
        let program = try build(plan, cases: cases)
        let run = try target.emulate(program, marker: TargetProgramRenderer.caseMarker, timeout: timeout)
        return try TargetRunner.parse(run.printed, plan: plan, cases: cases, place: run.place, stderr: run.other, status: run.status)
    }

    /// One case's outputs as the program printed them.
    public struct RawOutputs {
        public var y: [Double]
        public var finalState: [Double]
        public var head: [Double]?
    }

    /// Reads a target program's output; anything missing, extra or out of
    /// order is an error quoting the program's last words.
    public static func parse(_ text: String, plan: KernelPlan, cases: [KernelCase], place: String, stderr: String, status: Int32) throws -> [RawOutputs] {
        // `stderr`: whatever else the emulator printed, quoted when something is wrong.
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func fail(_ message: String) -> RNNError {
            let tail = lines.suffix(3).map { Quote.text(String($0), limit: 120) }.joined(separator: " | ")
            return RNNError(file: place, "\(message) (exit status \(status)\(stderr.isEmpty ? "" : ", other output: \(Quote.text(stderr, limit: 300))"); last output: \(tail.isEmpty ? "none" : tail))")
        }
        // An emulator may print before the program does.
        var cursor = lines.firstIndex(of: "\(TargetProgramRenderer.caseMarker) 0") ?? 0
        func floats(_ label: String, _ count: Int, _ index: Int) throws -> [Double] {
            guard cursor < lines.count else { throw fail("output ends inside case \(index)") }
            let words = lines[cursor].split(separator: " ")
            cursor += 1
            guard words.first.map(String.init) == label, words.count == count + 1 else {
                throw fail("case \(index): expected \(label) with \(count) values, found \(Quote.text(words.first.map(String.init) ?? "", limit: 40)) with \(max(words.count - 1, 0))")
            }
            return try words.dropFirst().map { word in
                guard let bits = UInt32(word, radix: 16) else { throw fail("case \(index): \(label) holds \(Quote.text(String(word), limit: 40)), not hex float bits") }
                return Double(Float(bitPattern: bits))
            }
        }
        var outputs: [RawOutputs] = []
        for (index, c) in cases.enumerated() {
            guard cursor < lines.count, lines[cursor] == "\(TargetProgramRenderer.caseMarker) \(index)" else {
                throw fail("the program stopped before case \(index) of \(cases.count) (\(c.name))")
            }
            cursor += 1
            let sizes = c.outputFloats(plan)
            let y = try floats("y", sizes.y, index), finalState = try floats("final", sizes.finalState, index)
            let head = plan.head != nil ? try floats("head", sizes.head, index) : nil
            outputs.append(RawOutputs(y: y, finalState: finalState, head: head))
        }
        guard cursor < lines.count, lines[cursor] == TargetProgramRenderer.endMarker else {
            throw fail("no \(TargetProgramRenderer.endMarker) after the last case")
        }
        return outputs
    }
}
