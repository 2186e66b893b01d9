import Foundation
public import ORDPRPC

/// Where a raw read (`ReadObservations`) resumes: after `time` in `stream`. Streams are ordered
/// by id, so one cursor says where a read stands in every partition of analytics (stream ids
/// are unique across them): the service and the gateway's merge read and write the same token.
/// On the wire: base64 of "1:<time>:<id>".
public struct ObservationCursor: Equatable, Sendable {
  public var stream: String
  public var time: Int64

  public init(stream: String, time: Int64) {
    self.stream = stream
    self.time = time
  }

  /// The cursor of `token`; nil for the empty token (from the start).
  public init?(_ token: String) throws(RPCError) {
    if token.isEmpty { return nil }
    guard token.utf8.count <= 400, let data = Data(base64Encoded: token),
      let text = String(data: data, encoding: .utf8)
    else { throw RPCError(.invalidArgument, "cursor: not a cursor of this service") }
    let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == "1", let time = Int64(parts[1]), !parts[2].isEmpty else {
      throw RPCError(.invalidArgument, "cursor: not a cursor of this service")
    }
    self.init(stream: String(parts[2]), time: time)
  }

  public var token: String { Data("1:\(time):\(stream)".utf8).base64EncodedString() }
}
