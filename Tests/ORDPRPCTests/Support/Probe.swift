import NIOCore
import ORDPEcho
import ORDPRPC
import Synchronization

/// Records what test handlers saw, for assertions from the test.
final class Probe: Sendable {
  private let events = Mutex<[String]>([])

  func record(_ event: String) { events.withLock { $0.append(event) } }
  var all: [String] { events.withLock { $0 } }

  /// Waits until `event` was recorded; false after `timeout`.
  func wait(for event: String, timeout: Duration = .seconds(5)) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if all.contains(event) { return true }
      try await Task.sleep(for: .milliseconds(5))
    }
    return false
  }
}

/// Test-only methods: one that hangs until cancelled, one that reports its deadline, one that
/// relays to another channel.
struct ProbeService: RPCService {
  static let hang = MethodDescriptor(service: "test.Probe", method: "Hang", kind: .unary)
  static let remaining = MethodDescriptor(service: "test.Probe", method: "Remaining", kind: .unary)
  static let relay = MethodDescriptor(service: "test.Probe", method: "Relay", kind: .unary)
  static let whoAmI = MethodDescriptor(service: "test.Probe", method: "WhoAmI", kind: .unary)

  let probe: Probe
  var relayChannel: RPCChannel? = nil

  func registerMethods(with router: inout RPCRouter) {
    let probe = self.probe
    router.registerUnary(Self.hang) {
      (request: Ordp_Echo_V1_EchoRequest, context) -> Ordp_Echo_V1_EchoResponse in
      probe.record("started \(request.text)")
      do {
        try await Task.sleep(for: .seconds(60))
      } catch {
        probe.record("cancelled \(request.text)")
        throw error
      }
      return Ordp_Echo_V1_EchoResponse()
    }
    router.registerUnary(Self.remaining) {
      (_: Ordp_Echo_V1_EchoRequest, context) -> Ordp_Echo_V1_EchoResponse in
      var r = Ordp_Echo_V1_EchoResponse()
      r.index = UInt32(max(0, (context.remainingTime ?? .hours(1)).nanoseconds / 1_000_000))
      return r
    }
    let relayChannel = self.relayChannel
    router.registerUnary(Self.relay) {
      (request: Ordp_Echo_V1_EchoRequest, context) -> Ordp_Echo_V1_EchoResponse in
      try await Task.sleep(for: .microseconds(request.delayMicros))
      // Asks for far more time than the incoming call has left.
      return try await relayChannel!.unary(
        Self.remaining, request: request, options: CallOptions(timeout: .seconds(600)))
    }
    router.registerUnary(Self.whoAmI) {
      (_: Ordp_Echo_V1_EchoRequest, context) -> Ordp_Echo_V1_EchoResponse in
      var r = Ordp_Echo_V1_EchoResponse()
      r.text = context.attributes[AuthenticatedUser.self]?.name ?? ""
      return r
    }
  }
}

/// What the test auth interceptor attaches.
struct AuthenticatedUser: Sendable { let name: String }
