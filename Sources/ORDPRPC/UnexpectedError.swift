import Logging

/// How the server answers an error a handler did not anticipate: INTERNAL with a fixed message
/// naming a request id, and trailer `ordp-request-id`; the cause is logged under that id with
/// the method and the caller's address. The client learns nothing of the cause (an SQL
/// statement, a path, a Swift type) — only the id to quote to an operator.
public enum UnexpectedError {
  /// The message every such call ends with, before the request id.
  public static let message = "internal error"

  static let fallbackLogger = Logger(label: "ordp.server")

  /// The status for `error`, logged.
  static func status(for error: any Error, context: ServerContext, logger: Logger) -> RPCStatus {
    let id = requestID(context.requestMetadata["ordp-request-id"])
    logger.error(
      "call failed unexpectedly",
      metadata: [
        "request-id": "\(id)", "method": "\(context.method.path)",
        "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "cause": "\(error)",
      ])
    var status = RPCStatus(code: .internal, message: "\(message) (request id \(id))")
    status.metadata.add("ordp-request-id", id)
    return status
  }

  /// The caller's request id when it is a sane one (the gateway sets it: 1–64 characters of
  /// letters, digits, '-', '_' and '.'), else a fresh random one.
  static func requestID(_ given: String?) -> String {
    if let given, (1...64).contains(given.utf8.count),
      given.utf8.allSatisfy({ byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
          || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
      })
    {
      return given
    }
    var generator = SystemRandomNumberGenerator()
    let value = generator.next() as UInt64
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
