/// Serialises `RDFNode`s as one RDF/XML document (`rdf:RDF` with the export's prefixes as XML
/// namespaces, one `rdf:Description` per node), one node at a time, so an export streams — the
/// form GovData's and CKAN's DCAT harvesters read most widely. I/O-free.
///
/// XML 1.0 cannot carry control characters other than tab, line feed and carriage return, not
/// even as character references: they are written as U+FFFD (the catalogue refuses them in new
/// texts).
public struct RDFXMLWriter: Sendable {
  public init() {}

  static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

  public func header() -> String {
    let namespaces = [("rdf", Self.rdf)] + RDFVocabulary.prefixes.map { ($0.prefix, $0.namespace) }
    let declarations = namespaces.map { "\n    xmlns:\($0.0)=\(Self.attribute($0.1))" }.joined()
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF\(declarations)>\n"
  }

  public func node(_ node: RDFNode) -> String {
    var out = "  <rdf:Description \(reference(node.subject, about: true))>\n"
    for type in node.types {
      out += "    <rdf:type rdf:resource=\(Self.attribute(RDFVocabulary.expand(type)))/>\n"
    }
    for (predicate, object) in node.properties {
      switch object {
      case .iri, .blank:
        out += "    <\(predicate) \(reference(object, about: false))/>\n"
      case .literal(let value, let datatype):
        let type = datatype.map { " rdf:datatype=\(Self.attribute(RDFVocabulary.expand($0)))" }
        out += "    <\(predicate)\(type ?? "")>\(Self.text(value))</\(predicate)>\n"
      }
    }
    return out + "  </rdf:Description>\n"
  }

  public func footer() -> String { "</rdf:RDF>\n" }

  /// `rdf:about`/`rdf:resource` for an IRI, `rdf:nodeID` for a blank node.
  func reference(_ term: RDFTerm, about: Bool) -> String {
    switch term {
    case .iri(let iri):
      return "rdf:\(about ? "about" : "resource")=\(Self.attribute(RDFVocabulary.safeIRI(iri)))"
    case .blank(let label): return "rdf:nodeID=\(Self.attribute(label))"
    case .literal(let value, _): return "rdf:about=\(Self.attribute(value))"
    }
  }

  /// Character data: `&`, `<`, `>` escaped; carriage returns as references (a parser would
  /// fold them into line feeds); characters XML 1.0 cannot carry as U+FFFD.
  static func text(_ value: String) -> String {
    escape(value, quotes: false)
  }

  /// An attribute value in double quotes.
  static func attribute(_ value: String) -> String {
    "\"" + escape(value, quotes: true) + "\""
  }

  private static func escape(_ value: String, quotes: Bool) -> String {
    var out = ""
    out.reserveCapacity(value.utf8.count)
    for scalar in value.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"" where quotes: out += "&quot;"
      case "\r": out += "&#13;"
      case "\n" where quotes: out += "&#10;"
      case "\t" where quotes: out += "&#9;"
      case "\n", "\t": out.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
        out += "\u{FFFD}"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
