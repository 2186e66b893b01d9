import Foundation
import ORDPBenchSupport
import ORDPRPC
import ORDPTestSupport

/// Makes one call of any method with raw request messages and says how it ended.
struct CallRunner: Sendable {
  let platform: FuzzPlatform
  /// The bound on one call's time: a call still running then has failed.
  let timeout: Duration
  /// Responses read from a stream at most (then the fuzzer stops reading).
  static let maximumResponses = 100

  struct Outcome: Sendable {
    var code: StatusCode
    var message: String
    var seconds: Double
    var responses: Int
  }

  /// Codes that say precisely what was wrong with a request, or that it was refused.
  static let precise: Set<StatusCode> = [
    .ok, .invalidArgument, .notFound, .alreadyExists, .permissionDenied, .unauthenticated,
    .failedPrecondition, .aborted, .outOfRange, .resourceExhausted,
  ]

  /// Whether the outcome is acceptable for `method`: a precise code in bounded time; an
  /// endless stream may also end at the fuzzer's deadline.
  static func acceptable(_ outcome: Outcome, _ method: FuzzMethod) -> Bool {
    if precise.contains(outcome.code) { return true }
    return method.endless && outcome.code == .deadlineExceeded
  }

  func call(
    _ method: FuzzMethod, _ messages: [[UInt8]], as caller: FuzzPlatform.Caller
  ) async -> Outcome {
    let channel = platform.bench.channel
    let descriptor = method.descriptor
    let callTimeout = method.endless ? .seconds(1) : timeout
    let options = platform.options(caller, timeout: callTimeout)
    let requests = messages.map(RawMessage.init)
    let started = ContinuousClock.now
    var responses = 0
    var outcome = Outcome(code: .ok, message: "", seconds: 0, responses: 0)
    do {
      switch descriptor.kind {
      case .unary:
        let _: RawMessage = try await channel.unary(
          descriptor, request: requests.first ?? RawMessage(), options: options)
        responses = 1
      case .serverStreaming:
        responses = try await channel.serverStreaming(
          descriptor, request: requests.first ?? RawMessage(), options: options
        ) { (stream: RPCResponseStream<RawMessage>) in
          try await Self.read(stream)
        }
      case .clientStreaming:
        let _: RawMessage = try await channel.clientStreaming(
          descriptor, options: options,
          requests: { writer in for request in requests { try await writer.write(request) } })
        responses = 1
      case .bidirectionalStreaming:
        responses = try await channel.bidirectionalStreaming(
          descriptor, options: options,
          requests: { (writer: RPCRequestWriter<RawMessage>) in
            for request in requests { try await writer.write(request) }
          },
          onResponse: { (stream: RPCResponseStream<RawMessage>) in try await Self.read(stream) })
      }
    } catch let error as RPCError {
      outcome.code = error.code
      outcome.message = error.message
    } catch {
      outcome.code = .unknown
      outcome.message = "\(error)"
    }
    outcome.seconds = started.duration(to: .now).seconds
    outcome.responses = responses
    return outcome
  }

  private static func read(_ stream: RPCResponseStream<RawMessage>) async throws -> Int {
    var count = 0
    for try await _ in stream {
      count += 1
      if count == maximumResponses { break }
    }
    return count
  }
}
