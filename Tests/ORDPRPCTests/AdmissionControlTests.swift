import ORDPRPC
import Synchronization
import Testing

/// Admission of expensive calls: in all, per caller, and for callers without a token.
@Suite struct AdmissionControlTests {
  /// Holds `count` calls of `caller` open until `release` resumes; returns once they run.
  final class Gate: Sendable {
    let open = Mutex<[CheckedContinuation<Void, Never>]>([])
    func wait() async {
      await withCheckedContinuation { continuation in open.withLock { $0.append(continuation) } }
    }
    func release() { for waiter in open.withLock({ $0 }) { waiter.resume() } }
    var waiting: Int { open.withLock { $0.count } }
  }

  func code(_ body: () async throws -> Void) async -> StatusCode? {
    do {
      try await body()
      return nil
    } catch let error as RPCError {
      return error.code
    } catch {
      return .unknown
    }
  }

  @Test func limitsHoldPerCallerForAnonymousCallersAndInAll() async throws {
    let admission = AdmissionControl(limits: .init(total: 5, perCaller: 2, anonymous: 1))
    let gate = Gate()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for caller in ["user:a", "user:a", "user:b", "user:b", nil] as [String?] {
        group.addTask { try await admission.run(caller: caller, "search") { await gate.wait() } }
      }
      while gate.waiting < 5 { try await Task.sleep(for: .milliseconds(1)) }
      #expect(admission.running == 5)
      // A third call of user:a, a second anonymous one, and anyone beyond five in all.
      #expect(
        await code { try await admission.run(caller: "user:a", "search") {} } == .resourceExhausted)
      #expect(
        await code { try await admission.run(caller: nil, "search") {} } == .resourceExhausted)
      #expect(
        await code { try await admission.run(caller: "user:c", "search") {} } == .resourceExhausted)
      gate.release()
      try await group.waitForAll()
    }
    #expect(admission.running == 0)
    // Everything freed: each may run again; a failing body frees its place too.
    struct Boom: Error {}
    #expect(
      await code { try await admission.run(caller: nil, "search") { throw Boom() } } == .unknown)
    #expect(await code { try await admission.run(caller: nil, "search") {} } == nil)
    #expect(admission.running == 0)
  }

  @Test func theRefusalSaysWhenToRetry() async throws {
    let admission = AdmissionControl(limits: .init(total: 1, perCaller: 1, anonymous: 0))
    do {
      try await admission.run(caller: nil, "export") {}
      Issue.record("admitted")
    } catch let error as RPCError {
      #expect(error.code == .resourceExhausted && error.metadata["retry-after"] == "1")
      #expect(error.message.contains("export"))
    }
  }
}
