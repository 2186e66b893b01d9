import Foundation
import ORDPRPC

/// What the fuzzer saw: outcomes by code, the slowest call, memory, and failing inputs
/// (written out as corpus files for replay).
struct FuzzReport {
  let artifacts: String
  let verbose: Bool
  var calls = 0
  var failures = 0
  var codes: [StatusCode: Int] = [:]
  var slowest: (seconds: Double, what: String) = (0, "")
  var peakMiB = 0

  mutating func record(
    _ outcome: CallRunner.Outcome, _ method: FuzzMethod, _ messages: [[UInt8]],
    _ caller: FuzzPlatform.Caller, source: String
  ) throws {
    calls += 1
    codes[outcome.code, default: 0] += 1
    if outcome.seconds > slowest.seconds {
      slowest = (outcome.seconds, "\(method.name) as \(caller.rawValue) (\(source))")
    }
    peakMiB = max(peakMiB, ResidentMemory.currentMiB())
    guard !CallRunner.acceptable(outcome, method) else { return }
    failures += 1
    let file = try CorpusFile.write(
      messages, method: method.name, label: "\(caller.rawValue)", into: artifacts)
    if verbose || failures <= 20 {
      Swift.print(
        "FAIL \(method.name) as \(caller.rawValue) (\(source)): \(outcome.code) \(outcome.message.prefix(200)) after \(String(format: "%.2f", outcome.seconds)) s -> \(file)"
      )
    }
  }

  /// Every `calls` calls: fresh tokens, and everything stored read back.
  mutating func renewEvery(
    _ calls: Int, _ platform: FuzzPlatform, _ runner: CallRunner
  ) async throws {
    guard self.calls % calls == 0 else { return }
    await platform.renewTokens()
    for method in MethodTable.readBack {
      let messages = method.templates(platform.seeds)
      let outcome = await runner.call(method, messages, as: .platformAdmin)
      try record(outcome, method, messages, .platformAdmin, source: "read-back")
    }
  }

  func print(limitMiB: Int) {
    let byCode = codes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
    Swift.print("ordp-fuzz-api: \(calls) calls, \(failures) failures")
    Swift.print("  outcomes: \(byCode.joined(separator: ", "))")
    Swift.print(
      "  slowest call: \(String(format: "%.3f", slowest.seconds)) s, \(slowest.what)")
    Swift.print(
      "  peak resident memory: \(ResidentMemory.peakMiB()) MiB (sampled \(peakMiB) MiB; limit \(limitMiB) MiB)"
    )
  }
}

/// The process's resident memory, from /proc.
enum ResidentMemory {
  static func field(_ name: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
      let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kib / 1024
  }

  static func currentMiB() -> Int { field("VmRSS:") }
  static func peakMiB() -> Int { field("VmHWM:") }
}
