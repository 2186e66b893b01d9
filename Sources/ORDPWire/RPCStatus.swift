/// The outcome of a call: a code, a message and trailing metadata.
public struct RPCStatus: Sendable, Hashable, CustomStringConvertible {
  public var code: StatusCode
  public var message: String
  public var metadata: Metadata

  public init(code: StatusCode, message: String = "", metadata: Metadata = Metadata()) {
    self.code = code
    self.message = message
    self.metadata = metadata
  }

  /// Success.
  public static let ok = RPCStatus(code: .ok)

  /// Whether a refusing server marked the call as not processed (`ordp-refused: 1`).
  public var isRefused: Bool { metadata["ordp-refused"] == "1" }

  public var description: String {
    message.isEmpty ? "\(code)" : "\(code): \(message)"
  }

  /// Converts from the wire message.
  public init(_ wire: Ordp_Rpc_V1_Status) {
    self.init(
      code: StatusCode(rawValue: wire.code), message: wire.message,
      metadata: Metadata(wire.metadata))
  }

  /// Converts to the wire message.
  public var wire: Ordp_Rpc_V1_Status {
    var s = Ordp_Rpc_V1_Status()
    s.code = code.rawValue
    s.message = message
    s.metadata = metadata.wireEntries
    return s
  }
}

/// An error that ends a call with a status code. Handlers throw it to choose the status the
/// client sees; clients receive it for every non-OK status.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
  public var code: StatusCode
  public var message: String
  public var metadata: Metadata

  public init(_ code: StatusCode, _ message: String, metadata: Metadata = Metadata()) {
    self.code = code
    self.message = message
    self.metadata = metadata
  }

  public init(status: RPCStatus) {
    self.init(status.code, status.message, metadata: status.metadata)
  }

  /// The status this error ends a call with.
  public var status: RPCStatus { RPCStatus(code: code, message: message, metadata: metadata) }

  /// Whether the server refused the call before processing it (safe to retry anywhere).
  public var isRefused: Bool { status.isRefused }

  public var description: String { "\(code): \(message)" }
}

/// Errors that know which status they map to. Services conform their domain errors to it.
public protocol RPCErrorConvertible: Error {
  var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
  public var rpcError: RPCError { self }
}
