/* Proof of work for the public booking forms (no third-party service): find a nonce such that
   SHA-256(token + ":" + nonce) starts with `data-pow-bits` zero bits, while the visitor reads
   the page; the form is sent once it is found. The server checks it with one hash. */
(function () {
  "use strict";
  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }
  async function solve(token, bits) {
    var encoder = new TextEncoder();
    for (var n = 0; ; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(token + ":" + n));
      if (zeroBits(new Uint8Array(digest)) >= bits) { return String(n); }
    }
  }
  document.querySelectorAll("form[data-pow-bits]").forEach(function (form) {
    var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
    var token = form.querySelector("input[name=pow_token]").value;
    var nonce = form.querySelector("input[name=pow_nonce]");
    var status = form.querySelector("[data-pow-status]");
    var work = solve(token, bits).then(function (found) {
      nonce.value = found;
      form.setAttribute("data-pow-ready", "1");
    });
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-pow-ready") === "1") { return; }
      event.preventDefault();
      var submitter = event.submitter;
      if (status) { status.textContent = status.getAttribute("data-waiting"); }
      work.then(function () {
        if (submitter && submitter.name) {
          var carried = document.createElement("input");
          carried.type = "hidden";
          carried.name = submitter.name;
          carried.value = submitter.value;
          form.appendChild(carried);
        }
        form.submit();
      });
    });
  });
})();
