//! Writing AI data back out: bracketed HRI text, unbracketed element strings with a chosen
//! FNC1 representation, and scan data.

use crate::ai_data::AiData;
use crate::scan::Symbology;

impl AiData {
    /// Appends the canonical bracketed form, `(01)09506000134352(21)X1`, escaping `(` in values as `\(`.
    pub fn write_bracketed(&self, out: &mut String) {
        for element in self.elements() {
            out.push('(');
            out.push_str(element.ai().as_str());
            out.push(')');
            let value = self.value(element);
            if value.contains('(') {
                out.push_str(&value.replace('(', "\\("));
            } else {
                out.push_str(value);
            }
        }
    }

    /// The canonical bracketed form as a new string.
    pub fn to_bracketed(&self) -> String {
        let mut out = String::new();
        self.write_bracketed(&mut out);
        out
    }

    /// Appends the element strings with `fnc1` after each variable-length value that another
    /// AI follows (no leading FNC1; callers add `^`, a symbology identifier, or nothing).
    pub fn write_element_string(&self, fnc1: &str, out: &mut String) {
        let elements = self.elements();
        for (i, element) in elements.iter().enumerate() {
            out.push_str(element.ai().as_str());
            out.push_str(self.value(element));
            if element.needs_fnc1() && i + 1 < elements.len() {
                out.push_str(fnc1);
            }
        }
    }

    /// The unbracketed form with `^` for FNC1, `^0109506000134352^10AB`, as the GS1 Syntax Engine writes it.
    pub fn to_unbracketed(&self) -> String {
        let mut out = String::from("^");
        self.write_element_string("^", &mut out);
        out
    }

    /// The scan data a reader would send for this data in `symbology` (GS for FNC1).
    pub fn to_scan_data(&self, symbology: Symbology) -> String {
        let mut out = String::from(symbology.gs1_identifier());
        self.write_element_string("\u{1d}", &mut out);
        out
    }
}
