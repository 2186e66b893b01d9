/// Serialises `RDFNode`s as Turtle (RDF 1.1), one node at a time, so an export streams.
/// I/O-free.
public struct TurtleWriter: Sendable {
  public init() {}

  public func header() -> String {
    RDFVocabulary.prefixes.map { "@prefix \($0.prefix): <\($0.namespace)> .\n" }.joined() + "\n"
  }

  public func node(_ node: RDFNode) -> String {
    var out = term(node.subject)
    var statements: [String] = []
    if !node.types.isEmpty { statements.append("a " + node.types.joined(separator: ", ")) }
    for (predicate, object) in node.properties { statements.append("\(predicate) \(term(object))") }
    if statements.isEmpty { return "" }
    out += " " + statements.joined(separator: " ;\n    ") + " .\n\n"
    return out
  }

  public func footer() -> String { "" }

  func term(_ term: RDFTerm) -> String {
    switch term {
    case .iri(let iri): return "<\(RDFVocabulary.safeIRI(iri))>"
    case .blank(let label): return "_:\(label)"
    case .literal(let value, let datatype):
      let quoted = "\"" + Self.escape(value) + "\""
      return datatype.map { "\(quoted)^^\($0)" } ?? quoted
    }
  }

  /// A string as it stands between double quotes in Turtle (STRING_LITERAL_QUOTE).
  static func escape(_ value: String) -> String {
    var out = ""
    out.reserveCapacity(value.utf8.count)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        out += "\\u00" + RDFVocabulary.hex(UInt8(scalar.value))
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
