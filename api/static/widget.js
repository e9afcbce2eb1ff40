/* GovGuide embed: <script src="https://HOST/static/widget.js" defer></script>
 * Adds a launcher button that opens the chat page (chat.html) in an iframe panel; full-screen on phones.
 * Optional attributes on the script tag: data-title="..." data-open="true". */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var origin = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "办事咨询";
  var css = ".gg-launch{position:fixed;right:20px;bottom:20px;z-index:2147483646;border:none;border-radius:28px;padding:12px 18px;" +
    "background:#c8161d;color:#fff;font-size:16px;box-shadow:0 4px 12px rgba(0,0,0,.2);cursor:pointer}" +
    ".gg-panel{position:fixed;right:20px;bottom:84px;z-index:2147483647;width:380px;height:620px;max-height:calc(100vh - 110px);" +
    "border:none;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.25);background:#fff;display:none}" +
    ".gg-panel.open{display:block}@media (max-width:600px){.gg-panel{right:0;bottom:0;width:100vw;height:100vh;max-height:none;border-radius:0}}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  var button = document.createElement("button");
  button.className = "gg-launch";
  button.type = "button";
  button.textContent = title;
  button.setAttribute("data-testid", "govguide-launcher");
  var frame = document.createElement("iframe");
  frame.className = "gg-panel";
  frame.title = "政务服务导办助手";
  frame.allow = "microphone; autoplay";
  frame.setAttribute("data-testid", "govguide-frame");
  button.addEventListener("click", function () {
    if (!frame.src) frame.src = origin + "/static/chat.html?api=" + encodeURIComponent(origin);
    frame.classList.toggle("open");
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
  if (script.getAttribute("data-open") === "true") button.click();
})();
