public import SwiftProtobuf

/// A method with its request and response message types (generated: `schemas` of each
/// service), for tools that call methods by name and describe them (`ordp call`,
/// `ordp describe`).
public struct MethodSchema: Sendable {
  public let descriptor: MethodDescriptor
  public let request: any SwiftProtobuf.Message.Type
  public let response: any SwiftProtobuf.Message.Type

  public init(
    _ descriptor: MethodDescriptor, request: any SwiftProtobuf.Message.Type,
    response: any SwiftProtobuf.Message.Type
  ) {
    self.descriptor = descriptor
    self.request = request
    self.response = response
  }
}
