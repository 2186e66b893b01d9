import ArgumentParser
import Foundation
import ORDPRPC
import ORDPWire

/// The API fuzzer: every method of identity, catalogue and analytics, called in this process
/// through the real runtime, interceptors and handlers, with arbitrary bytes and with valid
/// requests mutated the way a hostile client would, as every kind of caller. A call must end
/// with OK or a precise status (never INTERNAL, UNKNOWN, UNAVAILABLE, DATA_LOSS), within the
/// call time bound, and the process must stay below its memory bound; a crash ends the run.
/// One generated input.
struct Input: Sendable {
  var number: UInt64
  var method: FuzzMethod
  var caller: FuzzPlatform.Caller
  var messages: [[UInt8]]
}

@main
struct FuzzAPICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-fuzz-api",
    abstract: "Fuzzes every method of identity, catalogue and analytics in one process.")

  @Option(help: "Corpus directories to replay (every file, as every kind of caller).")
  var corpus: [String] = []
  @Option(help: "Generated inputs after the corpus.") var generated = 2000
  @Option(help: "Generate inputs for this many seconds instead of a fixed number.")
  var seconds: Int?
  @Option(help: "Seed of the generated inputs (the same seed gives the same inputs).")
  var seed: UInt64 = 0x4F52_4450
  @Option(help: "Where failing inputs are written.") var artifacts = "fuzz-artifacts/api"
  @Option(help: "Write every method's valid requests into this directory as a corpus; exit.")
  var writeSeeds: String?
  @Option(help: "Peak resident memory allowed, MiB.") var maxRssMib = 1536
  @Option(help: "Seconds one call may take.") var callTimeout = 20
  @Option(help: "Calls in flight at once.") var concurrency = 4
  @Flag(help: "Print every failing call as it happens.") var verbose = false

  func run() async throws {
    guard MethodTable.missing.isEmpty else {
      throw ValidationError("no fuzz template for \(MethodTable.missing.joined(separator: ", "))")
    }
    let platform = try await FuzzPlatform.start()
    let runner = CallRunner(platform: platform, timeout: .seconds(callTimeout))
    if let writeSeeds {
      try CorpusFile.writeSeeds(platform.seeds, into: writeSeeds)
      try await platform.shutdown()
      return
    }
    var report = FuzzReport(artifacts: artifacts, verbose: verbose)
    for directory in corpus {
      for file in try CorpusFile.files(in: directory) {
        guard let method = MethodTable.all.first(where: { file.method == $0.name }) else {
          throw ValidationError("\(file.path): no method \(file.method)")
        }
        for caller in FuzzPlatform.Caller.allCases {
          let outcome = await runner.call(method, file.messages, as: caller)
          try report.record(outcome, method, file.messages, caller, source: "corpus")
        }
        try await report.renewEvery(100, platform, runner)
      }
    }
    let started = ContinuousClock.now
    var index: UInt64 = 0
    /// The next generated input: a method, a caller and request messages.
    func nextInput() -> Input? {
      guard seconds.map({ started.duration(to: .now) < .seconds($0) }) ?? (index < generated)
      else { return nil }
      defer { index += 1 }
      var mutator = WireMutator(random: SplitMix64(seed: seed &+ index &* 0x9E37_79B9_7F4A_7C15))
      let method = MethodTable.all[mutator.below(MethodTable.all.count)]
      let caller = FuzzPlatform.Caller.allCases[mutator.below(FuzzPlatform.Caller.allCases.count)]
      let templates = method.templates(platform.seeds)
      let messages: [[UInt8]] =
        mutator.chance(15)
        ? (0..<max(1, templates.count)).map { _ in mutator.randomInput() }
        : templates.map { mutator.chance(70) ? mutator.mutate($0) : $0 }
      return Input(number: index, method: method, caller: caller, messages: messages)
    }
    try await withThrowingTaskGroup(of: (Input, CallRunner.Outcome).self) { group in
      var running = 0
      while let input = nextInput() {
        if running == max(1, concurrency), let (done, outcome) = try await group.next() {
          try report.record(
            outcome, done.method, done.messages, done.caller, source: "generated #\(done.number)")
          try await report.renewEvery(100, platform, runner)
          running -= 1
        }
        // Written before the call and removed after it: if the process dies, the inputs it
        // was working on are left for replay.
        let inFlight = try CorpusFile.write(
          input.messages, method: input.method.name, label: "in-flight-\(input.caller.rawValue)",
          into: artifacts)
        group.addTask {
          let outcome = await runner.call(input.method, input.messages, as: input.caller)
          try? FileManager.default.removeItem(atPath: inFlight)
          return (input, outcome)
        }
        running += 1
      }
      for try await (done, outcome) in group {
        try report.record(
          outcome, done.method, done.messages, done.caller, source: "generated #\(done.number)")
      }
    }
    try await platform.shutdown()
    report.print(limitMiB: maxRssMib)
    if report.failures > 0 || report.peakMiB > maxRssMib { throw ExitCode(1) }
  }
}
