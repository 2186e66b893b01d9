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
    let id = RequestID.sanitized(context.requestMetadata["ordp-request-id"])
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
}
