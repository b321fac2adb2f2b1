/**
 * The web console's single page: HTML, CSS and script in one string, no external assets, so it
 * works offline and ships inside the package. It polls `/api/stats` every POLL_MS and draws
 * throughput (reads/writes per second) and latency (share over 1 ms) as inline SVG lines. With
 * security on it shows a login form first (`/api/session`, `/api/login`) and Users and Roles
 * tabs; the Query tab runs `/api/query`.
 */

/** How often the page polls the node (ms); charts keep CHART_POINTS samples. */
export const CONSOLE_POLL_MS = 1000;
const CHART_POINTS = 60;

export const CONSOLE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strato console</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1d2630}
header{background:#1d3557;color:#fff;padding:10px 16px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0} header span{opacity:.85;font-size:13px} header button{margin-left:auto}
[hidden]{display:none!important}
#login{max-width:520px;margin:40px auto;background:#fff;border:1px solid #d5dbe1;border-radius:6px;padding:16px 20px}
nav{display:flex;gap:4px;padding:8px 16px;background:#e3e8ee}
nav button{border:0;background:none;padding:6px 10px;cursor:pointer;border-radius:4px}
nav button.on{background:#fff;font-weight:600}
main{padding:12px 16px} section{display:none} section.on{display:block}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:13px}
th,td{border:1px solid #d5dbe1;padding:4px 8px;text-align:left} th{background:#eef1f4}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{background:#fff;border:1px solid #d5dbe1;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}.card small{color:#5a6570}
.chart{background:#fff;border:1px solid #d5dbe1;border-radius:6px;margin:8px 8px 0 0;display:inline-block;padding:6px}
.chart h3{margin:0 0 4px;font-size:13px}.bad{color:#b00020}.ok{color:#2a7d2e}
input{font-family:monospace}
</style></head>
<body>
<header><h1>Strato</h1><span id="hdr">connecting…</span><span id="who"></span><button id="logout" hidden>log out</button></header>
<div id="login" hidden><form id="loginform"><h2>Log in</h2><p>This node has security enabled: log in with a database user.</p>
<label>User <input id="luser" autocomplete="username"></label> <label>Password <input id="lpass" type="password" autocomplete="current-password"></label>
<button id="lgo" type="submit">log in</button> <span id="lmsg" class="bad"></span></form></div>
<nav id="tabs"></nav>
<main>
<section id="overview"><div class="cards" id="cards"></div><h2>Namespaces</h2><table id="nstable"></table></section>
<section id="charts"><div id="chartbox"></div></section>
<section id="sets"><table id="settable"></table></section>
<section id="sindexes"><table id="sitable"></table></section>
<section id="udfs"><table id="udftable"></table></section>
<section id="jobs"><span id="jobmsg"></span><table id="jobtable"></table></section>
<section id="config">
<label>Context <select id="ctx"><option>service</option><option>network</option></select></label>
<span id="cfgmsg"></span>
<table id="cfgtable"></table></section>
<section id="query">
<label>Namespace <input id="qns" value="test" size="10"></label> <label>Set <input id="qset" size="12"></label>
<label>Kind <select id="qmode"><option value="scan">scan the set</option><option value="filter">scan with a bin filter</option><option value="equal">index query: equals</option><option value="range">index query: integer range</option></select></label>
<label>Bin <input id="qbin" size="10"></label> <select id="qop"><option>eq</option><option>ne</option><option>gt</option><option>ge</option><option>lt</option><option>le</option></select>
<label>Value <input id="qval" size="10"></label> <label>to <input id="qend" size="8"></label>
<label>Max <input id="qmax" value="20" size="4"></label> <button id="qgo">run</button> <span id="qmsg"></span>
<table id="qtable"></table></section>
<section id="users"><table id="usertable"></table></section>
<section id="roles"><table id="roletable"></table></section>
<section id="records">
<label>Namespace <input id="rns" value="test" size="10"></label> <label>Set <input id="rset" size="14"></label>
<label>Records <input id="rmax" value="20" size="4"></label> <button id="rgo">browse</button> <span id="rmsg"></span>
<table id="rtable"></table></section>
</main>
<script>
"use strict";
const POLL_MS=${CONSOLE_POLL_MS}, POINTS=${CHART_POINTS};
let TABS=[["overview","Overview"],["charts","Throughput & latency"],["sets","Sets"],["sindexes","Secondary indexes"],["udfs","UDF modules"],["jobs","Jobs"],["config","Configuration"],["records","Records"],["query","Query"]];
const SECURITY_TABS=[["users","Users"],["roles","Roles"]];
const $=(id)=>document.getElementById(id);
const esc=(s)=>String(s??"").replace(/[&<>"']/g,(c)=>"&#"+c.charCodeAt(0)+";");
function tab(id){for(const [t] of TABS){$(t).classList.toggle("on",t===id);$("tab-"+t).classList.toggle("on",t===id);} if(id==="config")loadConfig(); if(id==="users"||id==="roles")loadAccess();}
function drawTabs(){$("tabs").innerHTML=TABS.map(([id,l])=>'<button id="tab-'+id+'" data-tab="'+id+'">'+l+'</button>').join("");}
drawTabs();
$("tabs").addEventListener("click",(e)=>{const t=e.target.dataset&&e.target.dataset.tab;if(t)tab(t);});
function table(el,cols,rows){el.innerHTML="<tr>"+cols.map((c)=>"<th>"+esc(c)+"</th>").join("")+"</tr>"+rows.map((r)=>"<tr>"+r.map((c)=>"<td>"+c+"</td>").join("")+"</tr>").join("");}
function bytes(n){const u=["B","KB","MB","GB","TB"];let i=0;while(n>=1024&&i<4){n/=1024;i++;}return (i?n.toFixed(2):n)+" "+u[i];}
async function api(path,opts){const r=await fetch(path,opts);const j=await r.json();if(r.status===401&&path!=="/api/login")showLogin();if(!r.ok)throw new Error(j.error||r.status);return j;}
function showLogin(){$("login").hidden=false;document.querySelector("main").hidden=true;$("tabs").hidden=true;}
let started=false;
function startConsole(user){$("login").hidden=true;document.querySelector("main").hidden=false;$("tabs").hidden=false;
  if(user){$("who").textContent=" · user "+user;$("logout").hidden=false;if(!TABS.some(([t])=>t==="users")){TABS=TABS.concat(SECURITY_TABS);drawTabs();}
    // a secured node has a security config context (get-config/set-config:context=security)
    if(!$("ctx").querySelector('option[value="security"]')){const o=document.createElement("option");o.value="security";o.textContent="security";$("ctx").appendChild(o);}}
  if(!started){started=true;tab("overview");loadOverview();poll();setInterval(poll,POLL_MS);setInterval(loadOverview,5*POLL_MS);}else{loadOverview();}}
$("loginform").addEventListener("submit",async(e)=>{e.preventDefault();
  try{const r=await api("/api/login",{method:"POST",body:JSON.stringify({user:$("luser").value,password:$("lpass").value})});$("lmsg").textContent="";$("lpass").value="";startConsole(r.user);}
  catch(err){$("lmsg").textContent=err.message;}});
$("logout").addEventListener("click",async()=>{await api("/api/logout",{method:"POST"});location.reload();});
async function loadAccess(){
  try{const u=await api("/api/users");table($("usertable"),["User","Roles"],u.users.map((x)=>[esc(x.user),esc(x.roles.join(", "))]));
    const r=await api("/api/roles");table($("roletable"),["Role","Privileges","Allowlist","Read quota","Write quota"],r.roles.map((x)=>[esc(x.role),esc(x.privileges.join(", ")),esc(x.allowlist.join(", ")),x.readQuota||"",x.writeQuota||""]));}
  catch(err){$("usertable").innerHTML='<tr><td class="bad">'+esc(err.message)+"</td></tr>";}}
$("qgo").addEventListener("click",async()=>{
  const q={ns:$("qns").value,set:$("qset").value,mode:$("qmode").value,bin:$("qbin").value,op:$("qop").value,value:$("qval").value,end:$("qend").value,max:$("qmax").value};
  $("qmsg").className="";$("qmsg").textContent="running…";
  try{const r=await api("/api/query",{method:"POST",body:JSON.stringify(q)});
    const names=[...new Set(r.records.flatMap((x)=>Object.keys(x.bins)))].sort();
    $("qmsg").className="ok";$("qmsg").textContent=r.records.length+" record(s)"+(r.nodes.length>1?" from "+r.nodes.length+" nodes":"")+(r.partitionsSkipped?" ("+r.partitionsSkipped+" partitions no node answered)":"")+(r.peerErrors.length?" - "+r.peerErrors.join("; "):"")+(r.timedOut?" (timed out)":"");
    table($("qtable"),["Digest","Key","Gen"].concat(names),r.records.map((x)=>['<code>'+esc(x.digest)+'</code>',esc(x.key===undefined?"":JSON.stringify(x.key)),x.generation].concat(names.map((n)=>'<span data-bin="'+esc(n)+'">'+esc(x.bins[n]===undefined?"":JSON.stringify(x.bins[n]))+"</span>"))));}
  catch(err){$("qmsg").className="bad";$("qmsg").textContent=err.message;$("qtable").innerHTML="";}});
let ov=null;
async function loadOverview(){
  ov=await api("/api/overview");
  $("hdr").textContent=ov.clusterName+" · node "+ov.node+" · build "+ov.build;
  const card=(l,v,cls)=>'<div class="card"><small>'+esc(l)+'</small><b class="'+(cls||"")+'" data-k="'+esc(l)+'">'+esc(v)+'</b></div>';
  $("cards").innerHTML=[card("Cluster size",ov.clusterSize),card("Cluster key",ov.clusterKey),card("Principal",ov.principal),card("Integrity",ov.integrity?"ok":"broken",ov.integrity?"ok":"bad"),card("Migrations remaining",ov.migrationsRemaining,ov.migrationsRemaining?"bad":"ok"),card("Client connections",ov.clientConnections),card("Uptime (s)",ov.uptime),card("Build",ov.build)].join("");
  table($("nstable"),["Namespace","Objects","Master","RF","Data used","Data used %","Avail %","Index used","Stop writes","Evicted","Expired","Unavailable partitions","Dead partitions","Migrations tx/rx"],ov.namespaces.map((n)=>[esc(n.name),n.objects,n.masterObjects,n.replicationFactor,bytes(n.dataUsedBytes),n.dataUsedPct,n.dataAvailPct,bytes(n.indexUsedBytes),n.stopWrites?'<span class="bad">yes</span>':"no",n.evicted,n.expired,n.unavailablePartitions,n.deadPartitions,n.migrateTxRemaining+"/"+n.migrateRxRemaining]));
  table($("settable"),["Namespace","Set","Objects","Data used","Tombstones","Indexes"],ov.sets.map((s)=>[esc(s.ns),esc(s.set),esc(s.objects),bytes(Number(s.data_used_bytes||0)),esc(s.tombstones),esc(s.sindexes)]));
  table($("sitable"),["Index","Namespace","Set","Bin","Type","Index type","State"],ov.sindexes.map((s)=>[esc(s.indexname),esc(s.ns),esc(s.set),esc(s.bin),esc(s.type),esc(s.indextype),esc(s.state)]));
  table($("udftable"),["Filename","Hash","Type"],ov.udfs.map((u)=>[esc(u.filename),esc(u.hash),esc(u.type)]));
  table($("jobtable"),["Transaction","Namespace","Set","Module","Status","Progress","Records",""],ov.jobs.map((j)=>[esc(j.trid),esc(j.ns),esc(j.set),esc(j["job-type"]||j.module),esc(j.status),esc(j["job-progress"]||j.progress),esc(j["recs-read"]||j["recs-succeeded"]),j.status&&/active/.test(j.status)?'<button data-abort="'+esc(j.trid)+'">abort</button>':""]));
  if(!$("ctx").dataset.filled){$("ctx").dataset.filled="1";for(const n of ov.namespaces){const o=document.createElement("option");o.value="namespace:"+n.name;o.textContent="namespace "+n.name;$("ctx").appendChild(o);}}
}
$("jobtable").addEventListener("click",async(e)=>{const t=e.target.dataset&&e.target.dataset.abort;if(!t)return;let msg="job "+t+" abort requested",cls="ok";try{await api("/api/jobs/abort",{method:"POST",body:JSON.stringify({trid:t})});}catch(err){msg="job "+t+": "+err.message;cls="bad";}await loadOverview();$("jobmsg").className=cls;$("jobmsg").textContent=msg;});
// charts: one SVG per series group, redrawn from the kept samples
const series={};let last=null;
function push(name,v){(series[name]=series[name]||[]).push(v);if(series[name].length>POINTS)series[name].shift();}
function svg(title,names,unit){
  const W=420,H=120,all=names.flatMap((n)=>series[n]||[]),max=Math.max(1,...all);
  const colors=["#1f77b4","#d62728","#2ca02c","#9467bd"];
  const lines=names.map((n,i)=>{const s=series[n]||[];const pts=s.map((v,j)=>(j*W/Math.max(s.length-1,1)).toFixed(1)+","+(H-(v/max)*(H-10)).toFixed(1)).join(" ");return '<polyline fill="none" stroke-width="2" stroke="'+colors[i%4]+'" points="'+pts+'"/>';}).join("");
  const legend=names.map((n,i)=>'<span style="color:'+colors[i%4]+'">'+esc(n.split("|")[1])+" "+((series[n]||[]).slice(-1)[0]??0).toFixed(1)+unit+"</span>").join(" · ");
  const head='<div class="chart" data-chart="'+esc(title)+'" data-samples="'+all.length+'" data-peak="'+Math.max(0,...all)+'"><h3>'+esc(title)+" (max "+max.toFixed(1)+unit+")</h3>";
  const box='<svg width="'+W+'" height="'+H+'" viewBox="0 0 '+W+' '+H+'"><rect width="'+W+'" height="'+H+'" fill="#fafbfc"/>';
  return head+box+lines+"</svg><div>"+legend+"</div></div>";
}
async function poll(){
  try{
    const s=await api("/api/stats");
    if(last){const dt=(s.time-last.time)/1000;
      for(const ns of Object.keys(s.namespaces)){const a=s.namespaces[ns],b=last.namespaces[ns]||a;
        push(ns+"|reads/s",Math.max(0,(a.reads-b.reads)/dt));push(ns+"|writes/s",Math.max(0,(a.writes-b.writes)/dt));
        const r=s.latency["{"+ns+"}-read"]||{},w=s.latency["{"+ns+"}-write"]||{};push(ns+"|read >1ms",r.over1ms||0);push(ns+"|write >1ms",w.over1ms||0);}
      $("chartbox").innerHTML=Object.keys(s.namespaces).map((ns)=>svg(ns+" throughput",[ns+"|reads/s",ns+"|writes/s"]," /s")+svg(ns+" latency",[ns+"|read >1ms",ns+"|write >1ms"]," %")).join("");
    }
    last=s;
  }catch(e){$("hdr").textContent="node not answering: "+e.message;}
}
let cfgSeq=0;
async function loadConfig(){
  const seq=++cfgSeq,v=$("ctx").value,[context,id]=v.split(":");
  const c=await api("/api/config?context="+encodeURIComponent(context)+(id?"&id="+encodeURIComponent(id):""));
  if(seq!==cfgSeq)return; // a later context choice is being drawn
  table($("cfgtable"),["Name","Value","Set"],Object.keys(c).sort().map((k)=>[esc(k),'<input data-name="'+esc(k)+'" value="'+esc(c[k])+'" size="24">','<button data-set="'+esc(k)+'">set</button>']));
}
$("ctx").addEventListener("change",loadConfig);
$("cfgtable").addEventListener("click",async(e)=>{const k=e.target.dataset&&e.target.dataset.set;if(!k)return;
  const [context,id]=$("ctx").value.split(":");const value=document.querySelector('input[data-name="'+CSS.escape(k)+'"]').value;
  let cls="ok",msg=k+" set to "+value;
  try{await api("/api/config",{method:"POST",body:JSON.stringify({context,id,name:k,value})});}catch(err){cls="bad";msg=k+": "+err.message;}
  // the table is redrawn before the message shows, so what the message reports is on screen
  await loadConfig();$("cfgmsg").className=cls;$("cfgmsg").textContent=msg;});
$("rgo").addEventListener("click",async()=>{
  try{const r=await api("/api/records?ns="+encodeURIComponent($("rns").value)+"&set="+encodeURIComponent($("rset").value)+"&max="+encodeURIComponent($("rmax").value));
    $("rmsg").className="ok";$("rmsg").textContent=r.records.length+" record(s)";
    table($("rtable"),["Digest","Set","Key","Gen","Void time","Bins"],r.records.map((x)=>['<code>'+esc(x.digest)+'</code>',esc(x.set),esc(x.key===undefined?"":JSON.stringify(x.key)),x.generation,x.voidTime,'<code data-bins="'+esc(x.digest)+'">'+esc(JSON.stringify(x.bins))+'</code>']));}
  catch(err){$("rmsg").className="bad";$("rmsg").textContent=err.message;}});
fetch("/api/session").then((r)=>r.json()).then((s)=>{if(s.security&&!s.user)showLogin();else startConsole(s.user);},()=>{$("hdr").textContent="node not answering";});
</script></body></html>
`;
