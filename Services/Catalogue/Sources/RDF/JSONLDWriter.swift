/// Serialises `RDFNode`s as one JSON-LD 1.1 document (`@context` with the export's prefixes, the
/// nodes in `@graph`), one node at a time, so an export streams. I/O-free.
public struct JSONLDWriter: Sendable {
  public init() {}

  public func header() -> String {
    let context = RDFVocabulary.prefixes.map { "\"\($0.prefix)\": \"\($0.namespace)\"" }
      .joined(separator: ", ")
    return "{\"@context\": {\(context)},\n\"@graph\": [\n"
  }

  /// A node; `first` is false for every node after the first (they need a separating comma).
  public func node(_ node: RDFNode, first: Bool) -> String {
    var members = ["\"@id\": \(Self.string(id(node.subject)))"]
    if !node.types.isEmpty {
      members.append("\"@type\": [\(node.types.map(Self.string).joined(separator: ", "))]")
    }
    // Properties grouped by predicate, in order of first appearance.
    var order: [String] = []
    var values: [String: [String]] = [:]
    for (predicate, object) in node.properties {
      if values[predicate] == nil { order.append(predicate) }
      values[predicate, default: []].append(value(object))
    }
    for predicate in order {
      members.append("\(Self.string(predicate)): [\(values[predicate]!.joined(separator: ", "))]")
    }
    return (first ? "" : ",\n") + "{" + members.joined(separator: ", ") + "}"
  }

  public func footer() -> String { "\n]}\n" }

  func id(_ term: RDFTerm) -> String {
    switch term {
    case .iri(let iri): return RDFVocabulary.safeIRI(iri)
    case .blank(let label): return "_:\(label)"
    case .literal(let value, _): return value
    }
  }

  func value(_ term: RDFTerm) -> String {
    switch term {
    case .iri, .blank: return "{\"@id\": \(Self.string(id(term)))}"
    case .literal(let value, let datatype):
      let type = datatype.map { ", \"@type\": \(Self.string($0))" } ?? ""
      return "{\"@value\": \(Self.string(value))\(type)}"
    }
  }

  /// A JSON string literal (RFC 8259).
  static func string(_ value: String) -> String {
    var out = "\""
    out.reserveCapacity(value.utf8.count + 2)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        out += "\\u00" + RDFVocabulary.hex(UInt8(scalar.value))
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
