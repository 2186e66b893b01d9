// protoc-gen-ordp: generates ORDP/1 service protocols and typed clients for every `service`.
import SwiftProtobufPluginLibrary

ORDPCodeGenerator().main(nil)
